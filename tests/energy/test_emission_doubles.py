"""ges_emissions publishes each exact emission as the double DuckDB gives the 128-bit decimal.

The indicator narrows a value that fits 18 digits before converting it (a faster 64-bit
conversion, issue 18): the published doubles must be the ones the wide conversion gives, bit for
bit, for any consumption and factor, on both sides of the narrowing thresholds.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.catalog.packs import load_pack
from territoria.engines.duckdb.engine import open_duckdb
from territoria.pipelines.spec import DatasetInfo, render_sql

YEAR = 2020
FACTOR = {
    "factor_id": ["E", "G"],
    "energy": ["electricite", "gaz"],
    "year": [YEAR, YEAR - 1],  # gas: an estimated year (the share's numerator is converted too)
    "year_from": [YEAR, YEAR],
    "year_to": [YEAR, YEAR],
    "version": ["v", "v"],
}
# consumptions in MWh to the 1e-6 (a leaf's emissions cross 1,000 t and the estimated share 100 t)
consumption = st.decimals(min_value=0, max_value=Decimal("100000000"), places=6, allow_nan=False)
factor = st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal("2"), places=9, allow_nan=False)


def _emissions(rows: list[tuple[Decimal, Decimal]], factors: tuple[Decimal, Decimal]) -> list[tuple[float, float]]:
    """(published value, wide conversion) of every emission the indicator writes."""
    n = len(rows)
    cells = pa.table(
        {
            "mesh": ["commune"] * 3 * n,
            "code": [f"{i:05d}" for i in range(n) for _ in range(3)],
            "libelle": ["x"] * 3 * n,
            "period": [YEAR] * 3 * n,
            "sector": ["residentiel"] * 3 * n,
            "energy": ["electricite", "gaz", "TOUTES"] * n,
            "consumption_mwh": [float(v) for e, z in rows for v in (e, z, e + z)],
            "masked_share": [0.0] * 3 * n,
            "completeness": [1.0] * 3 * n,
            "lower_bound": [False] * 3 * n,
            "secret": [False] * 3 * n,
        }
    )
    pack = load_pack("energy_ghg")
    engine = open_duckdb(None)
    try:
        for schema, name, table in (
            ("published", "energie_cellules", cells),
            ("staging", "facteurs-emission", pa.table({**FACTOR, "value": [float(f) for f in factors]})),
        ):
            engine.ensure_schema(schema)
            engine.register_arrow("_in", table)
            engine.execute(f'CREATE TABLE {schema}."{name}" AS SELECT * FROM _in')
        datasets = {
            "facteurs-emission": DatasetInfo("facteurs-emission", "staging", "facteurs-emission"),
            "published.energie_cellules": DatasetInfo("energie_cellules", "published", ""),
        }
        params = {**pack.definition.parameters, "emission_factor_version": "v"}
        sql = render_sql(pack.read_sql("indicators/ges_emissions.sql"), datasets, params, "ges_emissions")
        # each leaf's exact emissions, as the indicator computes them (DECIMAL(37, 15))
        wide = (
            "SELECT c.code, c.energy, c.consumption_mwh::DECIMAL(19, 6) * f.value::DECIMAL(18, 9) AS v"
            ' FROM published.energie_cellules c JOIN staging."facteurs-emission" f USING (energy)'
        )
        return engine.fetch_all(
            f"""WITH g AS ({sql}),
            leaf AS ({wide}),
            total AS (SELECT code, sum(v) AS v, sum(v) FILTER (WHERE energy = 'gaz') AS est FROM leaf GROUP BY code)
            SELECT g.value, l.v::DOUBLE FROM g JOIN leaf l USING (code, energy)
            UNION ALL SELECT g.value, t.v::DOUBLE FROM g JOIN total t USING (code) WHERE g.energy = 'TOUTES'
            UNION ALL SELECT g.estimated_share, coalesce(t.est::DECIMAL(38, 16)::DOUBLE / nullif(t.v::DOUBLE, 0), 1.0)
            FROM g JOIN total t USING (code) WHERE g.energy = 'TOUTES'"""
        )
    finally:
        engine.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(consumption, consumption), min_size=1, max_size=20), st.tuples(factor, factor))
def test_published_emissions_are_the_wide_conversion_bit_for_bit(
    rows: list[tuple[Decimal, Decimal]], factors: tuple[Decimal, Decimal]
) -> None:
    for published, wide in _emissions(rows, factors):
        assert published == wide or (published is None and wide is None), (published, wide)
