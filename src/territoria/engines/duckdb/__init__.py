"""The embedded default engine: one DuckDB file per workspace."""

from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb

__all__ = ["DuckDBEngine", "open_duckdb"]
