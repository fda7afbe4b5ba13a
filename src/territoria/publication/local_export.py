"""Exports from a PostgreSQL or Spark store are written by an in-memory DuckDB.

The formats build their text in DuckDB's SQL: a number as the shortest text that reads back
the same at 15 significant digits (``format('{:.15g}', ...)``), WKT, the French CSV's
``oui``/``non`` and apostrophes. Sent to PostgreSQL or Spark, ``format`` gave back its pattern
for every number (``{:,15g}`` in each cell of a French CSV). So the published table, and the
boundaries a map joins, are fetched as Arrow (an export is one published table) into a DuckDB
in memory, whose types the formats read and which writes the file: the bytes DuckDB writes, on
every engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from territoria.engines.base import Engine, quote_ident
from territoria.publication.formats import ExportJob

if TYPE_CHECKING:
    from territoria.engines.duckdb import DuckDBEngine


def _copy(local: DuckDBEngine, source: Engine, relation: str, schema: str, name: str) -> str:
    local.ensure_schema(schema)
    local.con.register("_territoria_rows", source.fetch_arrow(f"SELECT * FROM {relation}"))
    try:
        target = f"{quote_ident(schema)}.{quote_ident(name)}"
        local.execute(f"CREATE TABLE {target} AS SELECT * FROM _territoria_rows")
    finally:
        local.con.unregister("_territoria_rows")
    return target


@contextmanager
def on_duckdb(job: ExportJob) -> Iterator[ExportJob]:
    """``job`` itself on a DuckDB store; else the same job on a DuckDB in memory holding a copy."""
    if job.engine.capabilities.sql_dialect == "duckdb":  # the formats' SQL is DuckDB's
        yield job
        return
    from territoria.engines.duckdb import DuckDBEngine

    local = DuckDBEngine(None)
    try:
        relation = _copy(local, job.engine, job.relation, "published", job.dataset)
        boundaries = _copy(local, job.engine, job.boundaries, "staging", "boundaries") if job.boundaries else None
        yield replace(
            job,
            engine=local,
            relation=relation,
            columns=local.columns("published", job.dataset),
            boundaries=boundaries,
        )
    finally:
        local.close()


__all__ = ["on_duckdb"]
