"""The snapshot reads every table's columns from ``duckdb_columns()`` (issue 18: a fifth less work
per table than the ``information_schema.columns`` view): the same rows, names, order and type
names as the view, for tables, views, temporary tables and a spatial column's type."""

from __future__ import annotations

from territoria.engines.duckdb.engine import open_duckdb
from territoria.publication.snapshot import _all_columns

#: a table of several types, a view of it, a temporary table and a spatial column
DDL = (
    "CREATE SCHEMA model",
    "CREATE TABLE model.t (k INTEGER, v DECIMAL(18, 3), ts TIMESTAMP, tags VARCHAR[], doc JSON)",
    "CREATE VIEW model.v AS SELECT k, v FROM model.t",
    "CREATE TEMP TABLE scratch (x DOUBLE)",
    "CREATE TABLE model.g AS SELECT ST_Point(1, 2) AS geometry, 'a' AS code",
)


def test_every_tables_columns_are_those_information_schema_shows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = open_duckdb(tmp_path)
    for statement in DDL:
        engine.execute(statement)
    shown: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, col, typ in engine.fetch_all(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_schema, table_name, ordinal_position"
    ):
        shown.setdefault((schema, table), []).append((col, typ))
    found = _all_columns(engine)
    engine.close()
    assert found == shown
    assert shown[("model", "g")] == [("geometry", "GEOMETRY"), ("code", "VARCHAR")]
    assert ("main", "scratch") in shown and ("model", "v") in shown
