"""Published tables as PostGIS layers for QGIS, under roles that mirror the access levels.

After a run, every table of the store's ``published`` schema gets its geometry columns typed
``geometry(<type>, 4326)`` (the pipeline lands WGS84), registered in ``geometry_columns`` by
that typmod, and a GiST index; then one role per access level may read it:

* ``territoria_open`` reads the open tables;
* ``territoria_restricted`` is a member of ``territoria_open`` and also reads the restricted ones;
* ``territoria_personal`` is a member of ``territoria_restricted`` and also reads personal data.

These are group roles (NOLOGIN): a GIS team's login role is granted the level it is cleared
for (``GRANT territoria_open TO qgis_agent``). Nothing is granted to PUBLIC.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import psycopg

from territoria.core.errors import EngineError
from territoria.engines.base import quote_ident

if TYPE_CHECKING:
    from territoria.engines.postgres.engine import PostgresEngine

LEVELS = ("open", "restricted", "personal")
ROLE_PREFIX = "territoria_"
SRID = 4326


def role(level: str) -> str:
    return ROLE_PREFIX + level


def ensure_roles(con: psycopg.Connection[Any]) -> None:
    rows = con.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'territoria\\_%'").fetchall()
    existing = {r[0] for r in rows}
    previous = None
    for level in LEVELS:
        name = role(level)
        if name not in existing:
            # made meanwhile by another store's run: the savepoint keeps the transaction usable
            with suppress(psycopg.errors.DuplicateObject), con.transaction():
                con.execute(f"CREATE ROLE {quote_ident(name)} NOLOGIN")
        if previous:
            con.execute(f"GRANT {quote_ident(previous)} TO {quote_ident(name)}")
        previous = name


def _withdraw(con: psycopg.Connection[Any], table: str) -> None:
    con.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
    for level in LEVELS:
        con.execute(f"REVOKE ALL ON {table} FROM {quote_ident(role(level))}")


def expose(engine: PostgresEngine, access: Mapping[str, str]) -> list[str]:
    """Type, index and grant every published table named in ``access`` (name -> access level);
    withdraw every other table of the published schema from the roles (a dataset removed from
    the plan leaves its table, which GIS clients must not read as if it were still published).
    Returns the tables exposed to the open role."""
    schema = engine.schema_name("published")
    con = engine.con
    if not con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s::text", [schema]).fetchone():
        return []  # nothing published yet
    present = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]).fetchall()]
    if not access and not present:
        return []
    try:
        with con.transaction():
            ensure_roles(con)
            con.execute(f"REVOKE ALL ON SCHEMA {quote_ident(schema)} FROM PUBLIC")
            for level in LEVELS:
                con.execute(f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {quote_ident(role(level))}")
            for name in sorted(set(present) - set(access)):
                _withdraw(con, f"{quote_ident(schema)}.{quote_ident(name)}")
            opened = []
            for name, level in sorted(access.items()):
                if level not in LEVELS:
                    raise EngineError(f"published table {name}: unknown access level {level!r}")
                table = f"{quote_ident(schema)}.{quote_ident(name)}"
                _spatial(engine, schema, name)
                _withdraw(con, table)
                con.execute(f"GRANT SELECT ON {table} TO {quote_ident(role(level))}")
                if level == "open":
                    opened.append(name)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise EngineError(
            f"cannot expose the published tables to QGIS: {str(exc).strip()}",
            hint="the store's PostgreSQL user needs CREATEROLE (or ask the DBA to create the territoria_* roles)",
        ) from exc
    return opened


def _spatial(engine: PostgresEngine, schema: str, name: str) -> None:
    """Geometry columns typed with SRID 4326 and indexed (what QGIS lists and draws fast)."""
    con = engine.con
    rows = con.execute(
        "SELECT f_geometry_column, type, srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s",
        [schema, name],
    ).fetchall()
    table = f"{quote_ident(schema)}.{quote_ident(name)}"
    for column, kind, srid in rows:
        col = quote_ident(column)
        if srid != SRID or kind == "GEOMETRY":
            found = con.execute(f"SELECT DISTINCT GeometryType({col}) FROM {table} WHERE {col} IS NOT NULL").fetchall()
            typed = found[0][0] if len(found) == 1 else "Geometry"
            con.execute(
                f"ALTER TABLE {table} ALTER COLUMN {col} TYPE geometry({typed}, {SRID}) USING ST_SetSRID({col}, {SRID})"
            )
        index = quote_ident(f"{name}_{column}_gist"[:63])
        con.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gist ({col})")
