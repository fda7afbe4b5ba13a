"""GDAL writes no DECIMAL wider than 19 digits nor any HUGEINT, which DuckDB makes of exact sums
(a pack's DECIMAL(38, 6) consumption, a sum of BIGINT counts). Before, `territoria export -f
geojson` of such a dataset ended in a traceback (air_exposition_communes, exposition_75_plus,
jours_qualite_air_degradee and part_dpe_f_g of any territory with the demo inputs)."""

from __future__ import annotations

import json
from pathlib import Path

from territoria.engines.base import Engine
from territoria.publication.formats import ExportJob
from territoria.publication.local_export import on_duckdb
from territoria.publication.tabular import write_geojson


def test_wide_numbers_are_written_as_json_numbers(duckdb_engine: Engine, tmp_path: Path) -> None:
    engine = duckdb_engine
    engine.ensure_schema("pub")
    engine.execute(
        "CREATE TABLE pub.wide AS SELECT code, CAST(mwh AS DECIMAL(38, 6)) AS mwh, sum(n)::HUGEINT AS people, "
        "CAST(share AS DECIMAL(5, 2)) AS share, ST_Point(-1.68, 48.11) AS geometry FROM (VALUES "
        "('35238', 22543.894999, 10, 12.5)) AS t (code, mwh, n, share) GROUP BY ALL"
    )
    columns = [("code", "VARCHAR"), ("mwh", "DECIMAL(38,6)"), ("people", "HUGEINT"), ("share", "DECIMAL(5,2)"),
               ("geometry", "GEOMETRY")]  # fmt: skip
    dest = tmp_path / "wide.geojson"
    with on_duckdb(ExportJob(engine, "pub.wide", columns, dest, "wide")) as written:
        write_geojson(written)
    (feature,) = json.loads(dest.read_text(encoding="utf-8"))["features"]
    assert feature["properties"] == {"code": "35238", "mwh": 22543.894999, "people": 10, "share": 12.5}
