"""The energy cells model on a few hand-made leaves, against a cell-by-cell reference in Python.

The model builds each commune row's electricity, gas and TOUTES cells in one pass and joins the
commune labels once per row (``models/energie_cellules.sql``); this pins what every commune cell
holds: absent leaves are true zeros, masked leaves stay null and make their sums lower bounds,
a commune without a label keeps a null ``libelle``, and the territory margins add every commune up.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa

from territoria.catalog.packs import load_pack
from territoria.engines.base import TableWrite
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.governance.secrecy.rules import least_counts, least_expressions
from territoria.pipelines.spec import DatasetInfo, render_sql

# (code, period, sector, energy): (consumption, sites, masked components, components)
LEAVES: dict[tuple[str, int, str, str], tuple[str | None, int | None, int, int]] = {
    ("35001", 2020, "residentiel", "electricite"): ("120.5", 40, 0, 1),
    ("35001", 2020, "residentiel", "gaz"): ("80.25", 12, 0, 1),
    ("35001", 2020, "industrie", "electricite"): (None, None, 1, 1),  # masked upstream
    ("35001", 2021, "residentiel", "gaz"): ("70.125", 11, 0, 1),  # no electricity leaf: a true zero
    ("35002", 2020, "industrie", "gaz"): ("10.5", 3, 1, 2),  # one of two components masked
    ("99999", 2020, "residentiel", "electricite"): ("5.0", 2, 0, 1),  # a commune without a label
}
NAMES = {"35001": "Acigné", "35002": "Amanlis"}
SECTORS = {2020: ["industrie", "residentiel"], 2021: ["residentiel"]}


def _sum(values: list[Any]) -> Any:
    """SQL's sum: null when every value is."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _leaf(code: str, period: int, sector: str, energy: str) -> tuple[Any, Any, int, int]:
    mwh, sites, masked, n = LEAVES.get((code, period, sector, energy), ("0", 0, 0, 0))
    return (None if mwh is None else Decimal(mwh), sites, masked, n)


def _cells(code: str, period: int, sector: str, leaves: dict[str, list[tuple[Any, Any, int, int]]]) -> Iterator[Any]:
    """The three cells of one commune row from the leaves it adds up (one list per energy)."""
    sums = {e: tuple(_sum([leaf[i] for leaf in ls]) for i in range(4)) for e, ls in leaves.items()}
    e, z = sums["electricite"], sums["gaz"]
    toutes = tuple(None if a is None and b is None else (a or 0) + (b or 0) for a, b in zip(e, z, strict=True))
    for energy, (mwh, sites, masked, n) in (("electricite", e), ("gaz", z), ("TOUTES", toutes)):
        yield (
            code, NAMES.get(code), period, sector, energy, None if mwh is None else float(mwh), sites,
            mwh is None, mwh is not None and masked > 0, masked / n if n else 0.0,
        )  # fmt: skip


def reference() -> list[tuple[Any, ...]]:
    rows = []
    present = sorted({(c, p) for c, p, _, _ in LEAVES})
    for code, period in present:
        grid = {s: {e: [_leaf(code, period, s, e)] for e in ("electricite", "gaz")} for s in SECTORS[period]}
        for sector, leaves in grid.items():
            rows += _cells(code, period, sector, leaves)
        every = {e: [ls[e][0] for ls in grid.values()] for e in ("electricite", "gaz")}
        rows += _cells(code, period, "TOUS", every)
    return sorted(rows, key=repr)


def test_commune_cells_match_the_reference(engine: DuckDBEngine) -> None:
    keys = list(LEAVES)
    values = list(LEAVES.values())
    leaves = pa.table(
        {
            "code": [k[0] for k in keys],
            "period": pa.array([k[1] for k in keys], pa.int32()),
            "sector": [k[2] for k in keys],
            "energy": [k[3] for k in keys],
            "consumption_mwh": pa.array(
                [None if v[0] is None else Decimal(v[0]) for v in values], pa.decimal128(38, 6)
            ),
            "nb_sites": pa.array([v[1] for v in values], pa.int64()),
            "masked_components": pa.array([v[2] for v in values], pa.int64()),
            "components": pa.array([v[3] for v in values], pa.int64()),
            # every row Enedis's or GRDF's (tests/energy/test_secrecy_local_operators.py has the others)
            **{c: pa.array([0] * len(values), pa.int64()) for c in ("other_components", "other_masked", "other_sites")},
        }
    )
    engine.ensure_schema("model")
    for name, table in (
        ("energie_conso_commune", leaves),
        ("communes", pa.table({"code": list(NAMES), "nom": list(NAMES.values())})),
    ):
        engine.register_arrow("_in", table)
        engine.execute(f'CREATE TABLE model."{name}" AS SELECT * FROM _in')
    datasets = {n: DatasetInfo(n, "model", n) for n in ("communes", "energie_conso_commune", "energie_cellules")}
    params = {
        "territory.name": "Test",
        "territory.mesh": "epci",
        "territory.code": "200000000",
        "territory.communes": ["35001", "35002", "35003", "99999"],
    }
    pack = load_pack("energy_ghg")
    params.update(least_counts(pack.directory, None))
    params.update(least_expressions(pack.directory, None))
    sql = render_sql(pack.read_sql("models/energie_cellules.sql"), datasets, params, "energie_cellules")
    engine.create_or_replace(TableWrite("model", "energie_cellules", sql))
    got = engine.fetch_all(
        "SELECT code, libelle, period, sector, energy, consumption_mwh, nb_sites, masked_input, lower_bound, "
        "masked_share FROM model.energie_cellules WHERE mesh = 'commune' AND parent_code = '200000000'"
    )
    assert sorted(got, key=repr) == reference()
    # the territory's margins add up every commune's cells (2020 residential electricity: 120.5 + 0 + 5.0)
    margin = engine.fetch_all(
        "SELECT libelle, consumption_mwh, nb_sites, completeness FROM model.energie_cellules "
        "WHERE mesh = 'epci' AND period = 2020 AND sector = 'residentiel' AND energy = 'electricite'"
    )
    assert margin == [("Test", 125.5, 42, 0.75)]
    count = engine.fetch_all("SELECT count(*) FROM model.energie_cellules")[0][0]
    assert count == len(reference()) + 3 * (3 + 2)  # margins: 2020 x (2 sectors + TOUS), 2021 x (1 + TOUS)
