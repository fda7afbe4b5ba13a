"""PostgreSQL/PostGIS engine: a shared server store that QGIS users can open directly.

Statements arrive in DuckDB's dialect and are translated by ``engines.dialect`` (cached), with
the store's schemas renamed ``schema_prefix + name`` so that several stores share a database.
One connection per engine, in autocommit mode; ``transaction()`` is psycopg's transaction
block, whose nested blocks are savepoints (an inner block that fails rolls back alone, the
outer one decides for everything). DDL is transactional. Files are read on the client and
sent with COPY FROM STDIN: the server never needs access to the workspace's files.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.string import TextLoader

from territoria.core.errors import EngineError
from territoria.engines.base import Capabilities, TableWrite, quote_ident
from territoria.engines.dialect import translate_for_driver, variant_dialect
from territoria.engines.expansions import expand_lateral_aliases, expand_star_excludes
from territoria.engines.pack_errors import pack_error
from territoria.engines.postgres import arrow as pgarrow
from territoria.engines.postgres import compat, duckisms, gis
from territoria.engines.postgres.csv_copy import copy_csv
from territoria.engines.postgres.dsn import resolve_dsn
from territoria.engines.postgres.export import copy_to

if TYPE_CHECKING:
    import pyarrow as pa

CAPABILITIES = Capabilities(
    name="postgres",
    embedded=False,
    spatial=True,  # when the server has PostGIS: an engine on a server without it says False
    transactional_ddl=True,
    concurrent_writers=True,
    reads_files=True,  # read on the client, sent by COPY
    sql_dialect="postgres",
)
DIALECT = "postgres"
#: a relation of a store schema by its names: compared as text, since a parameter compared with a
#: ``name`` column is read as a ``name`` too, cut to 63 bytes, and a longer name would match the
#: table that carries its cut form (an index lookup all the same: PostgreSQL has ``name = text``)
NAMED = "n.nspname = %s::text AND c.relname = %s::text"
#: PostgreSQL cuts a longer identifier to this many bytes without an error (NAMEDATALEN - 1)
MAX_NAME_BYTES = 63
UPSERT = re.compile(
    r'\s*INSERT\s+OR\s+REPLACE\s+INTO\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)\s*(\(([^)]*)\))?', re.IGNORECASE
)


class PostgresEngine:
    capabilities = CAPABILITIES

    def __init__(self, dsn: str, *, schema_prefix: str = "", postgis: bool = True) -> None:
        try:
            self.con = psycopg.connect(dsn, autocommit=True, application_name="territoria")
        except psycopg.OperationalError as exc:
            raise EngineError(
                f"cannot connect to the PostgreSQL store: {str(exc).strip().splitlines()[-1]}",
                hint="check the DSN (host, port, database, user) and that the server is running",
            ) from exc
        # JSON comes back as text, as DuckDB hands it out (callers parse it when they need to)
        for name in ("json", "jsonb"):
            self.con.adapters.register_loader(name, TextLoader)
        self.prefix = schema_prefix
        self._lock = threading.RLock()
        self._schemas: set[str] = set()
        self._names = itertools.count()
        self._files: dict[tuple[Any, ...], str] = {}
        self._install_compat()
        has_postgis = self._postgis(postgis)
        self.capabilities = replace(CAPABILITIES, spatial=has_postgis)
        self.con.execute(f'SET search_path = "$user", public, {compat.SCHEMA}')
        row = self.con.execute("SELECT oid FROM pg_type WHERE typname = 'geometry'").fetchone()
        self.geometry_oid = int(row[0]) if row else -1

    def _install_compat(self) -> None:
        row = self.con.execute(compat.INSTALLED).fetchone()
        if not (row and row[0]):
            with self.con.transaction():
                self.con.execute("SELECT pg_advisory_xact_lock(4242016)")  # two engines opening at once
                row = self.con.execute(compat.INSTALLED).fetchone()
                if not (row and row[0]):
                    self.con.execute(compat.FUNCTIONS)

    def _postgis(self, wanted: bool) -> bool:
        if self.con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            return True
        if (
            not wanted
            or not self.con.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        ):
            return False
        try:
            self.con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error:
            return False  # no right to create it: the store works without geometry
        return True

    # -- names -----------------------------------------------------------------------------
    def schema_name(self, schema: str) -> str:
        """The server-side name of a store schema."""
        return self.prefix + schema

    def sql(self, sql: str, params: Sequence[Any] | None = None) -> str:
        """``sql`` as sent to the server (translated, schemas renamed, placeholders as ``%s``)."""
        return translate_for_driver(sql, DIALECT, schema_prefix=self.prefix, params=bool(params))

    def temp_name(self, stem: str) -> str:
        return f"_territoria_{stem}_{next(self._names)}"

    # -- plain SQL -------------------------------------------------------------------------
    def _upsert(self, sql: str) -> str:
        """DuckDB's ``INSERT OR REPLACE`` as ``INSERT ... ON CONFLICT (primary key) DO UPDATE``."""
        match = UPSERT.match(sql)
        if not match:
            return sql
        target = self.sql(f"SELECT * FROM {match.group(1)}").removeprefix("SELECT * FROM ")
        keys = self._primary_key(target)
        named = match.group(3)
        cols = [c.strip().strip('"') for c in named.split(",")] if named else [c for c, _ in self._column_types(target)]
        update = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in cols if c not in keys)
        action = f"UPDATE SET {update}" if update else "NOTHING"
        body = sql[match.start(1) :].rstrip().rstrip(";")
        return f"INSERT INTO {body} ON CONFLICT ({', '.join(map(quote_ident, keys))}) DO {action}"

    def _column_types(self, target: str) -> list[tuple[str, str]]:
        rows = self.con.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [target],
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def _file_table(self, call: str) -> str:
        """A temporary table holding a file function call's rows (loaded once per file version)."""
        key = duckisms.file_version(call)
        if key not in self._files:
            name = self.temp_name("file")
            self._load_arrow(name, duckisms.read_locally(call))
            self._files[key] = f"pg_temp.{quote_ident(name)}"
        return self._files[key]

    def _describe(self, query: str, params: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        cursor = self._run(f"SELECT * FROM ({query}) AS _described LIMIT 0", params)
        rows = []
        for col in cursor.description or []:
            info = self.con.adapters.types.get(col.type_code)
            typname = "geometry" if col.type_code == self.geometry_oid else (info.name if info else "text")
            rows.append((col.name, duckisms.duckdb_type_of(typname, col.precision, col.scale), "YES", None, None, None))
        return rows

    def _duckdb_only(self, sql: str) -> str:
        """What translation cannot do: files read here, ``* EXCLUDE`` spelled out."""
        if variant_dialect(sql) is not None:
            return sql  # a pack's PostgreSQL variant runs as written
        sql = duckisms.with_catalog(duckisms.with_local_files(sql, self._file_table), self.prefix)
        described: dict[str, list[str]] = {}  # a relation named twice in the statement is described once

        def columns_of(relation: str) -> list[str]:
            if relation not in described:
                described[relation] = self._columns_of(relation)
            return described[relation]

        return expand_lateral_aliases(expand_star_excludes(sql, columns_of), columns_of)

    def _columns_of(self, relation: str) -> list[str]:
        cursor = self._run(f"SELECT * FROM {relation} LIMIT 0")
        return [c.name for c in cursor.description or []]

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        sql = self._duckdb_only(sql)
        text = self.sql(self._upsert(sql), params)
        try:
            return self.con.execute(text, list(params) if params else None)
        except psycopg.Error as exc:
            refused = EngineError(f"PostgreSQL refused a statement: {str(exc).strip()}", detail=text[:4000])
            raise pack_error(exc) or refused from exc

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._lock:
            self._run(sql, params)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            described = duckisms.describe_query(sql)
            if described is not None:
                return self._describe(described, params)
            return self._run(sql, params).fetchall()

    def _schema(self, cursor: psycopg.Cursor[Any]) -> tuple[pa.Schema, set[int]]:
        import pyarrow as pa

        fields, geometry = [], set()
        for i, col in enumerate(cursor.description or []):
            if col.type_code == self.geometry_oid:
                geometry.add(i)
                fields.append(pa.field(col.name, pa.binary(), metadata={b"ARROW:extension:name": pgarrow.GEOARROW}))
                continue
            info = self.con.adapters.types.get(col.type_code)
            name = info.name if info else "text"
            fields.append(pa.field(col.name, pgarrow.arrow_type(name, col.precision, col.scale)))
        return pa.schema(fields), geometry

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        import pyarrow as pa

        with self._lock:
            cursor = self._run(sql, params)
            schema, geometry = self._schema(cursor)
            return pa.Table.from_batches([pgarrow.to_batch(cursor.fetchall(), schema, geometry)], schema=schema)

    def stream_batches(self, sql: str, batch_rows: int = 65536) -> Iterator[pa.RecordBatch]:
        """A server-side cursor: the result never sits whole in memory."""
        with self._lock, self.con.transaction(), self.con.cursor(name=self.temp_name("cursor")) as cursor:
            try:
                cursor.execute(self.sql(self._duckdb_only(sql)))
            except psycopg.Error as exc:
                raise pack_error(exc) or EngineError(f"PostgreSQL refused a statement: {str(exc).strip()}") from exc
            while True:
                rows = cursor.fetchmany(batch_rows)
                schema, geometry = self._schema(cursor)
                if not rows:
                    break
                yield pgarrow.to_batch(rows, schema, geometry)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; a block inside another is a savepoint of it."""
        with self._lock, self.con.transaction():
            yield

    # -- catalog ---------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        with self._lock:
            row = self.con.execute(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                f"WHERE {NAMED} AND c.relkind IN ('r', 'v', 'm', 'p', 'f')",
                [self.schema_name(schema), name],
            ).fetchone()
        return row is not None

    def tables(self) -> set[tuple[str, str]]:
        with self._lock:
            rows = self.con.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname LIKE %s "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema', %s) AND n.nspname NOT LIKE 'pg_%%'",
                [self.prefix.replace("_", r"\_") + "%", compat.SCHEMA],
            ).fetchall()
        cut = len(self.prefix)
        return {(s[cut:], n) for s, n in rows if not (s == "public" and n == "spatial_ref_sys")}

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        with self._lock:
            rows = self.con.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                f"WHERE {NAMED} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                [self.schema_name(schema), name],
            ).fetchall()
        return [(r[0], pgarrow.duckdb_type(r[1].split("(")[0] if r[1].startswith("geometry") else r[1])) for r in rows]

    def ensure_schema(self, schema: str) -> None:
        if schema not in self._schemas:
            with self._lock:
                self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema_name(schema))}")
                if not self.con.info.transaction_status:  # outside a transaction: it stays
                    self._schemas.add(schema)

    # -- Arrow -----------------------------------------------------------------------------
    def _copy_in(self, target: str, table: pa.Table) -> None:
        cols = ", ".join(quote_ident(c) for c in table.column_names)
        with self.con.cursor().copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for row in pgarrow.copy_rows(table):
                copy.write_row(row)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """A temporary view ``name`` of ``table``'s rows, as DuckDB registers one (callers drop it
        with DROP VIEW); the rows are in a temporary table beside it."""
        rows = f"_territoria_arrow_{name}"
        with self._lock:
            self.con.execute(f"DROP VIEW IF EXISTS pg_temp.{quote_ident(name)}")
            self._load_arrow(rows, table)
            self.con.execute(f"CREATE TEMP VIEW {quote_ident(name)} AS SELECT * FROM pg_temp.{quote_ident(rows)}")

    def _load_arrow(self, name: str, table: pa.Table) -> None:
        """A temporary table ``name`` holding ``table``'s rows, sent by COPY."""
        spec = ", ".join(f"{quote_ident(f.name)} {pgarrow.pg_type(f)}" for f in table.schema)
        geoms = [f.name for f in table.schema if pgarrow.is_geometry(f)]
        with self._lock:
            self.con.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(name)} CASCADE")
            self.con.execute(f"CREATE TEMP TABLE {quote_ident(name)} ({spec})")
            self._copy_in(f"pg_temp.{quote_ident(name)}", table)
            for col in geoms:
                c = quote_ident(col)
                self.con.execute(
                    f"ALTER TABLE pg_temp.{quote_ident(name)} ALTER COLUMN {c} TYPE geometry USING ST_GeomFromWKB({c})"
                )

    def append_arrow(self, qualified: str, table: pa.Table, *, replace: bool = False) -> None:
        staging = self.temp_name("append")
        target = self.sql(f"SELECT * FROM {qualified}").removeprefix("SELECT * FROM ")
        cols = ", ".join(quote_ident(c) for c in table.column_names)
        with self._lock, self.con.transaction():
            self._load_arrow(staging, table)
            conflict = ""
            if replace:
                keys = self._primary_key(target)
                updates = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in table.column_names)
                conflict = f" ON CONFLICT ({', '.join(map(quote_ident, keys))}) DO UPDATE SET {updates}"
            types = dict(self._column_types(target))
            # Arrow text lands as text: cast to the column's own type (json, timestamptz...)
            cast = ", ".join(f"CAST({quote_ident(c)} AS {types[c]})" for c in table.column_names)
            self.con.execute(f"INSERT INTO {target} ({cols}) SELECT {cast} FROM pg_temp.{staging}{conflict}")
            self.con.execute(f"DROP TABLE pg_temp.{staging}")

    def _primary_key(self, target: str) -> list[str]:
        rows = self.con.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [target],
        ).fetchall()
        if not rows:
            raise EngineError(f"{target} has no primary key: rows cannot replace each other")
        return [r[0] for r in rows]

    # -- files -----------------------------------------------------------------------------
    def read_csv_relation(
        self,
        path: Path,
        *,
        delimiter: str,
        columns: Sequence[str],
        skip: int,
        rejects: str | None = None,
        skip_bad_lines: bool = False,
        line_bytes: float | None = None,
    ) -> str:
        """A temporary table of text columns filled by COPY FROM STDIN (the file is read here)."""
        name = self.temp_name("csv")
        with self._lock:
            copy_csv(self.con, path, name, delimiter, list(columns), skip, rejects, skip_bad_lines)
        return f"pg_temp.{name}"

    def copy_to(self, select_sql: str, path: Path, fmt: str, options: dict[str, Any] | None = None) -> None:
        copy_to(self, select_sql, path, fmt, options or {})

    # -- publication -----------------------------------------------------------------------
    def create_or_replace(self, write: TableWrite) -> int | None:
        """Drop and create in one transaction (PostgreSQL has no CREATE OR REPLACE TABLE)."""
        for name in (self.schema_name(write.schema), write.name):
            if len(name.encode()) > MAX_NAME_BYTES:  # the server would write it under its cut name
                raise EngineError(
                    f"{name!r} is longer than PostgreSQL's {MAX_NAME_BYTES}-byte names",
                    hint="shorten the dataset's identifier (or the store's schema_prefix)",
                )
        self.ensure_schema(write.schema)
        target = f"{quote_ident(self.schema_name(write.schema))}.{quote_ident(write.name)}"
        select = self.sql(self._duckdb_only(write.select_sql))
        with self._lock, self.con.transaction():
            kind = self.con.execute(
                f"SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {NAMED}",
                [self.schema_name(write.schema), write.name],
            ).fetchone()
            if kind:
                self.con.execute(f"DROP {'VIEW' if kind[0] == 'v' else 'TABLE'} {target}")
            try:
                cursor = self.con.execute(f"CREATE TABLE {target} AS {select}")
            except psycopg.Error as exc:
                raise EngineError(f"PostgreSQL refused a statement: {str(exc).strip()}", detail=select[:4000]) from exc
            return cursor.rowcount if cursor.rowcount >= 0 else None

    def expose_published(self, access: Mapping[str, str]) -> list[str]:
        """Published tables as PostGIS layers under the access-level roles (see ``gis.py``)."""
        with self._lock:
            return gis.expose(self, access)

    def close(self) -> None:
        with self._lock:
            self.con.close()

    @classmethod
    def open(cls, store_dir: Path | None, **options: Any) -> PostgresEngine:
        """``engine_options``: ``dsn_env`` / ``dsn_file`` (see ``dsn.py``), ``schema_prefix``, ``postgis``."""
        known = {"dsn", "dsn_env", "dsn_file", "schema_prefix", "postgis"}
        unknown = sorted(set(options) - known)
        if unknown:
            from territoria.core.errors import ConfigError

            raise ConfigError(
                f"unknown PostgreSQL engine option(s): {', '.join(unknown)}",
                hint=f"the options are {', '.join(sorted(known))}",
            )
        return cls(
            resolve_dsn(options, store_dir),
            schema_prefix=str(options.get("schema_prefix", "")),
            postgis=bool(options.get("postgis", True)),
        )
