"""No published income figure depends on a value the secrecy rules hide: the Filosofi cells go
through the `statistical` guard with the pack's rule set, and the territory's poverty rate is
computed by the indicator's own SQL from what was published. Two tables that differ only in the
values of suppressed cells publish exactly the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.catalog.packs import load_pack
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.guards import get_guard
from territoria.pipelines.spec import DatasetInfo, render_sql

PACK = load_pack("social_health")
RATE_SQL = PACK.read_sql("indicators/taux_pauvrete.sql")
PARAMS = {**PACK.defaults(), "territory.epci": "200000000", "territory.name": "Territoire"}
PARAMS |= {"territory.mesh": "epci", "territory.code": "200000000"}
DATASETS = {"published.filosofi_cellules": DatasetInfo("filosofi_cellules", "published", "cellules")}

# a commune: fiscal households (some under the 11-household rule), persons, its rate, and
# whether INSEE masked the rate ("s": the value is unknown to the platform)
commune = st.tuples(
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=1, max_value=900),
    st.floats(min_value=0, max_value=60, allow_nan=False),
    st.booleans(),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    eng = open_duckdb(None)
    eng.execute("CREATE SCHEMA published")
    yield eng
    eng.close()


def _published(engine: DuckDBEngine, communes: list[tuple[int, int, float | None, bool]]) -> list[tuple[Any, ...]]:
    rows = ", ".join(
        f"('commune', 'c{i:03d}', 'Commune {i}', 't', 2021, 'taux_pauvrete', "
        f"{'NULL' if masked or rate is None else rate}::DOUBLE, {menages}, {personnes}, {str(masked).lower()})"
        for i, (menages, personnes, rate, masked) in enumerate(communes)
    )
    select = (
        f"SELECT * FROM (VALUES {rows}) t(mesh, code, libelle, parent_code, period, measure, value, nb_menages, "
        "nb_personnes, masked_input)"
    )
    guard = get_guard("statistical.filosofi").protect(
        engine, "filosofi_cellules", select, "statistical.filosofi", {}, [PACK.directory]
    )
    engine.execute(f"CREATE OR REPLACE TABLE published.filosofi_cellules AS {guard.select_sql}")
    sql = render_sql(RATE_SQL, DATASETS, PARAMS, "test")
    return engine.fetch_all(
        f"SELECT mesh, code, value, secret, masked_share, completeness FROM ({sql}) ORDER BY mesh, code"
    )


@settings(max_examples=20, deadline=None)
@given(st.lists(commune, min_size=1, max_size=8), st.floats(min_value=0, max_value=60, allow_nan=False))
def test_suppressed_values_change_nothing_published(
    engine: DuckDBEngine, communes: list[tuple[int, int, float, bool]], other: float
) -> None:
    # the same table with every cell under 11 households given another value
    moved = [(m, p, other if m < 11 else r, s) for m, p, r, s in communes]
    first, second = _published(engine, communes), _published(engine, moved)
    assert first == second
    by_code = {r[1]: r for r in first}
    for i, (menages, _, rate, masked) in enumerate(communes):
        _, _, value, secret, *_ = by_code[f"c{i:03d}"]
        if masked or menages < 11:
            assert secret and value is None  # secret, never zero, never estimated
        else:
            assert not secret and value == pytest.approx(rate)
    territory = next(r for r in first if r[0] == "epci")
    covered = [(p, r) for m, p, r, s in communes if not s and m >= 11]
    if covered:
        expected = sum(p * r for p, r in covered) / sum(p for p, _ in covered)
        assert territory[2] == pytest.approx(expected)
    else:
        assert territory[2] is None and territory[5] == 0
