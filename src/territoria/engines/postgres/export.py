"""``copy_to`` for PostgreSQL: the rows are fetched as Arrow and written by an in-memory
DuckDB, so every format (CSV, Parquet with metadata, GeoJSON through GDAL) is written exactly as
the DuckDB engine writes it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.engines.base import quote_ident

if TYPE_CHECKING:
    from territoria.engines.postgres.engine import PostgresEngine


def copy_to(engine: PostgresEngine, select_sql: str, path: Path, fmt: str, options: dict[str, Any]) -> None:
    from territoria.engines.duckdb import DuckDBEngine

    # DuckDB pulls Arrow batches from its own threads, and the engine's connection is held by
    # this one: the rows are fetched first (an export is one published table)
    table = engine.fetch_arrow(select_sql)
    # geometry columns carry the geoarrow.wkb tag: DuckDB reads them as GEOMETRY
    cols = ", ".join(quote_ident(f.name) for f in table.schema)
    writer = DuckDBEngine(None)
    try:
        writer.con.register("_territoria_export", table)
        writer.copy_to(f"SELECT {cols} FROM _territoria_export", path, fmt, options)
    finally:
        writer.close()
