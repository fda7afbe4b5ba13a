"""A commune's share of its territory when the territory is that one commune (an island commune
outside any EPCI: L'Île-d'Yeu, Ouessant): 100 %, never more. Before, 100 * x / t rounded
21538.697's share of itself to 100.00000000000001, the indicator failed its `max: 100` test and
part_communes was not published for such a territory (found on L'Île-d'Yeu with the demo inputs)."""

from __future__ import annotations

from territoria.catalog.packs import load_pack
from territoria.engines.base import TableWrite
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.pipelines.spec import DatasetInfo, render_sql

#: consumption (MWh) and emissions (tCO2e) whose 100 * x / x is not 100 in doubles
VALUES = [21538.697, 1883.7, 0.3, 7.0e-5]


def test_a_commune_that_is_the_whole_territory_is_100_percent_of_it(engine: DuckDBEngine) -> None:
    assert any(100 * v / v > 100 for v in VALUES)  # the doubles the test is about
    engine.ensure_schema("published")
    cells = " UNION ALL ".join(
        f"SELECT '{mesh}' AS mesh, '85113' AS code, 'Yeu' AS libelle, {2020 + i} AS period, 'TOUS' AS sector, "
        f"'TOUTES' AS energy, {v}::DOUBLE AS consumption_mwh, {v}::DOUBLE AS value, 0.0 AS masked_share, "
        "0.0 AS estimated_share, 1.0 AS completeness, false AS lower_bound, false AS secret"
        for i, v in enumerate(VALUES)
        for mesh in ("commune", "territoire")
    )
    for name in ("energie_cellules", "ges_emissions"):
        engine.execute(f"CREATE TABLE published.{name} AS {cells}")
    datasets = {f"published.{n}": DatasetInfo(n, "published", n) for n in ("energie_cellules", "ges_emissions")}
    datasets["part_communes"] = DatasetInfo("part_communes", "main", "part_communes")
    sql = render_sql(
        load_pack("energy_ghg").read_sql("indicators/part_communes.sql"),
        datasets,
        {"territory.mesh": "territoire"},
        "part_communes",
    )
    engine.create_or_replace(TableWrite("main", "part_communes", sql))
    values = [v for (v,) in engine.fetch_all("SELECT value FROM main.part_communes")]
    assert values == [100.0] * 2 * len(VALUES)
