"""Pack SQL is written once, in DuckDB's dialect; other engines get it translated by sqlglot."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def translate(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect) in ``dialect`` (a sqlglot dialect name), statements joined by ``;``."""
    if dialect == "duckdb":
        return sql
    import sqlglot  # only engines other than DuckDB pay for the import

    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=dialect))
