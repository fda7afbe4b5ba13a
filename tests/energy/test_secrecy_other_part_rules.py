"""energie_cellules flags another operator's part of a cell that the rules of secrecy.yaml would
suppress (``other_operators_secret``): that part untied from Enedis's IRIS cell would be the cell
minus the IRIS cell. The flag must follow the rules as the guard applies them, ``policies.yaml``'s
overrides included, and a rule's ``when:`` (which rows it applies to) as much as its threshold.

Before, the model held the shipped split of the sectors (residential: the 10-site rule; every other
sector: the 3-site rule) and read only the thresholds: a territory moving the tertiary sector under
the 10-site rule had a tertiary part of 5 sites left unflagged, untied from Enedis's cell, and given
by difference while the guard hides such a cell.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.catalog.packs import load_pack
from territoria.engines.base import TableWrite
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.governance.secrecy.primary import checked_rules, fails_sql
from territoria.governance.secrecy.rules import least_expressions, least_params, load_ruleset
from territoria.pipelines.spec import DatasetInfo, render_sql

SECTORS = ["agriculture", "industrie", "inconnu", "professionnel", "residentiel", "tertiaire"]
#: the tertiary sector under the 10-site rule, and only the sectors left under the 3-site one
MOVED = {
    "secrecy": {
        "energy": {
            "rules": {
                "residentiel-10-points": {"when": "sector IN ('residentiel', 'tertiaire')"},
                "entreprises-3-unites": {"when": "sector NOT IN ('residentiel', 'tertiaire')"},
            }
        }
    }
}


def _cells(engine: DuckDBEngine, parts: dict[str, int], policies: dict[str, Any] | None) -> dict[str, bool]:
    """Run the model on one commune whose electricity of each sector has another operator's part
    of ``parts[sector]`` sites (beside 50 of Enedis's); the flag of each sector's electricity cell."""
    sectors = sorted(parts)
    leaves = pa.table(
        {
            "code": ["35001"] * len(sectors),
            "period": pa.array([2022] * len(sectors), pa.int32()),
            "sector": sectors,
            "energy": ["electricite"] * len(sectors),
            "consumption_mwh": pa.array([Decimal("100.5")] * len(sectors), pa.decimal128(38, 6)),
            "nb_sites": pa.array([50 + parts[s] for s in sectors], pa.int64()),
            "masked_components": pa.array([0] * len(sectors), pa.int64()),
            "components": pa.array([2] * len(sectors), pa.int64()),
            "other_components": pa.array([1] * len(sectors), pa.int64()),
            "other_masked": pa.array([0] * len(sectors), pa.int64()),
            "other_sites": pa.array([parts[s] for s in sectors], pa.int64()),
        }
    )
    engine.ensure_schema("model")
    for name, table in (("energie_conso_commune", leaves), ("communes", pa.table({"code": ["35001"], "nom": ["A"]}))):
        engine.register_arrow("_in", table)
        engine.execute(f'CREATE OR REPLACE TABLE model."{name}" AS SELECT * FROM _in')
    pack = load_pack("energy_ghg")
    params: dict[str, Any] = {
        "territory.name": "Test",
        "territory.mesh": "epci",
        "territory.code": "200000000",
        "territory.communes": ["35001"],
        # what the plan gives every model of the pack (pipelines/plan.py)
        **least_params(pack.directory, policies),
    }
    datasets = {n: DatasetInfo(n, "model", n) for n in ("communes", "energie_conso_commune", "energie_cellules")}
    sql = render_sql(pack.read_sql("models/energie_cellules.sql"), datasets, params, "energie_cellules")
    engine.create_or_replace(TableWrite("model", "energie_cellules", sql))
    rows = engine.fetch_all(
        "SELECT sector, other_operators_secret FROM model.energie_cellules "
        "WHERE mesh = 'commune' AND energy = 'electricite' AND sector <> 'TOUS'"
    )
    return dict(rows)


def _guard_hides(engine: DuckDBEngine, parts: dict[str, int], policies: dict[str, Any] | None) -> dict[str, bool]:
    """Whether the guard's own primary rules (the rule set as loaded, compiled as it compiles them)
    suppress each part published as a cell of its own."""
    ruleset = load_ruleset("energy", policies)
    fails = " OR ".join(fails_sql(r) for r in checked_rules(ruleset)) or "false"
    parts_table = pa.table({"sector": list(parts), "nb_sites": pa.array(list(parts.values()), pa.int64())})
    engine.register_arrow("_parts", parts_table)
    return dict(engine.fetch_all(f"SELECT sector, {fails} FROM _parts"))


def test_a_sector_moved_under_the_stricter_rule_flags_its_small_part(engine: DuckDBEngine) -> None:
    parts = {"residentiel": 5, "tertiaire": 5, "industrie": 5}
    shipped = _cells(engine, parts, None)
    assert shipped == {"residentiel": True, "tertiaire": False, "industrie": False}
    moved = _cells(engine, parts, MOVED)
    # 5 sites: the tertiary part now needs 10, as the guard's rules say
    assert moved == {"residentiel": True, "tertiaire": True, "industrie": False}
    assert moved == _guard_hides(engine, parts, MOVED)


def test_the_shipped_rules_give_the_shipped_split(engine: DuckDBEngine) -> None:
    """The published flags of the demo do not move: 10 sites for the residential part, 3 elsewhere."""
    parts = {"residentiel": 9, "tertiaire": 2, "industrie": 3, "agriculture": 10}
    assert _cells(engine, parts, None) == {
        "residentiel": True,
        "tertiaire": True,
        "industrie": False,
        "agriculture": False,
    }


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    """Any split of the sectors between the two rules (overlapping, leaving some out, or a rule for
    every row), with any thresholds and operators."""

    def rule() -> dict[str, Any]:
        sectors = draw(st.one_of(st.none(), st.sets(st.sampled_from(SECTORS))))
        when = None if sectors is None else (
            "false" if not sectors else "sector IN (" + ", ".join(f"'{s}'" for s in sorted(sectors)) + ")"
        )  # fmt: skip
        return {"when": when, "threshold": draw(st.integers(1, 15)), "operator": draw(st.sampled_from([">=", ">"]))}

    return {"secrecy": {"energy": {"rules": {"residentiel-10-points": rule(), "entreprises-3-unites": rule()}}}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=overrides(), sizes=st.lists(st.integers(1, 16), min_size=len(SECTORS), max_size=len(SECTORS)))
def test_the_flag_is_what_the_guards_rules_say_of_the_part(
    engine: DuckDBEngine, policies: dict[str, Any], sizes: list[int]
) -> None:
    """Whatever ``policies.yaml`` makes of the two rules, a part is flagged exactly when the guard
    would suppress it as a cell."""
    parts = dict(zip(SECTORS, sizes, strict=True))
    assert _cells(engine, parts, policies) == _guard_hides(engine, parts, policies)


@pytest.mark.parametrize("policies", [None, MOVED])
def test_the_rendered_model_carries_the_rules_own_condition(policies: dict[str, Any] | None) -> None:
    pack = load_pack("energy_ghg")
    least = least_expressions(pack.directory, policies)["secrecy.energy.least.nb_sites"]
    assert "sector = 'residentiel'" in least if policies is None else "'tertiaire'" in least
    sql = pack.read_sql("models/energie_cellules.sql")
    assert "param('secrecy.energy.least.nb_sites')" in sql and "WHEN sector = 'residentiel'" not in sql
