"""PostgreSQL/PostGIS engine: a shared store on a server, readable by QGIS."""

from territoria.engines.postgres.engine import PostgresEngine

__all__ = ["PostgresEngine"]
