"""Which statements load DuckDB's spatial extension before they run: the cheap literal check in
front of ``SPATIAL_SQL`` (it runs on every statement of a run) must answer what the regex answers."""

from __future__ import annotations

import pytest

from territoria.engines.duckdb.engine import SPATIAL_SQL, DuckDBEngine, spatial_sql

STATEMENTS = [
    'CREATE OR REPLACE TABLE "model"."m_1" AS SELECT x + 1 AS x FROM "model"."m_0"',
    "SELECT ST_Area(geom) FROM t",
    "select st_intersects (a.geom, b.geom) from a, b",
    "SELECT * FROM ST_Read('f.gpkg')",
    "COPY t TO 'f.gpkg' (FORMAT GDAL, DRIVER 'GPKG')",
    "SELECT ST_Point_2D(1, 2)",
    "SELECT geom::POINT_2D FROM t",
    "SELECT first_street, last_2days FROM t",  # literal parts without a match: the regex decides
    "SELECT gdalx, 'st_' AS s, _2dx FROM t",
    "SELECT cost_(1)",
    "",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_the_literal_check_answers_what_the_regex_answers(sql: str) -> None:
    assert spatial_sql(sql) == (SPATIAL_SQL.search(sql) is not None)


def test_a_spatial_statement_runs_on_a_store_that_never_loaded_spatial() -> None:
    engine = DuckDBEngine(None)
    try:
        assert engine.fetch_all("SELECT ST_X(ST_Point(3, 4))")[0][0] == 3
    finally:
        engine.close()
