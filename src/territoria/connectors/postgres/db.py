"""The PostgreSQL side of the connector: connection, relation description, streamed batches."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from territoria.connectors.http.secrets import REFERENCE, Secrets
from territoria.core.errors import ConfigError, SourceError, TransientSourceError
from territoria.core.hashing import stable_hash

if TYPE_CHECKING:
    from territoria.connectors.postgres.connector import PostgresOptions

#: PostgreSQL type name -> Arrow type; anything else is read as text
ARROW_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int64(),
    "int4": pa.int64(),
    "int8": pa.int64(),
    "float4": pa.float64(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "geometry": pa.binary(),
    "geography": pa.binary(),
}


@dataclass
class Relation:
    source: sql.Composed | sql.Identifier
    label: str
    columns: list[tuple[str, str]] = field(default_factory=list)

    @property
    def geometry(self) -> list[str]:
        return [name for name, typ in self.columns if typ in ("geometry", "geography")]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES.get(typ, pa.string())) for name, typ in self.columns])

    def select_list(self) -> sql.Composable:
        parts: list[sql.Composable] = []
        for name, typ in self.columns:
            col = sql.Identifier(name)
            if typ in ("geometry", "geography"):
                # land WGS84 like every other geographic reader; SRID 0 means "unknown": kept as is
                geom = sql.SQL("{}::geometry").format(col)
                parts.append(
                    sql.SQL(
                        "ST_AsBinary(CASE WHEN ST_SRID({g}) IN (0, 4326) THEN {g} ELSE ST_Transform({g}, 4326) END)"
                    ).format(g=geom)
                    + sql.SQL(" AS {}").format(col)
                )
            else:
                parts.append(col)
        return sql.SQL(", ").join(parts)


def _arrow_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, memoryview):
        return bytes(value)
    if value is None or isinstance(value, str | int | float | bool | bytes | dt.date | dt.datetime):
        return value
    return str(value)


DSN_HINT = "write `dsn: postgresql://user@host:port/dbname` and `password: ${MY_VAR}`, then export MY_VAR"


class Database:
    def __init__(self, options: PostgresOptions, secrets: Secrets, dataset: str) -> None:
        self.options = options
        self.dataset = dataset
        self.secrets = secrets
        try:
            raw = conninfo_to_dict(options.dsn)
        except psycopg.ProgrammingError as exc:
            raise ConfigError(f"source {dataset!r}: the dsn is not valid: {exc}", hint=DSN_HINT) from None
        if raw.get("password") and not REFERENCE.search(str(raw["password"])):
            raise ConfigError(
                f"source {dataset!r}: the database password is written in clear in the dsn", hint=DSN_HINT
            )
        # resolved value by value: a password may hold characters that would break the URL form
        self.conninfo = {k: secrets.resolve(str(v)) for k, v in raw.items() if v is not None}
        if options.password:
            self.conninfo["password"] = secrets.resolve(options.password, name="password")
        self.con: psycopg.Connection[Any] | None = None

    def __enter__(self) -> Database:
        try:
            self.con = psycopg.connect(make_conninfo("", **self.conninfo), connect_timeout=self.options.connect_timeout)
        except psycopg.OperationalError as exc:
            text = self.secrets.redact(str(exc)).strip().splitlines()[-1] if str(exc).strip() else "connection failed"
            if "authentication" in text or "does not exist" in text or "no password" in text:
                raise SourceError(
                    f"source {self.dataset!r}: the database refused the connection: {text}",
                    hint="check the dsn (user, database) and the password variable the source references",
                ) from None
            raise TransientSourceError(
                f"source {self.dataset!r}: cannot reach the database: {text}",
                hint="is the server up and reachable from here? nothing was changed; run again later",
            ) from None
        return self

    def __exit__(self, *_: object) -> None:
        if self.con is not None:
            self.con.close()

    def public_url(self, rel: Relation) -> str:
        info = self.conninfo
        where = f"{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        return f"postgresql://{info.get('user', '')}@{where}#{rel.label}"

    def _run(
        self, query: sql.Composed | sql.SQL, params: list[Any] | None = None, describe: bool = False
    ) -> list[tuple[Any, ...]]:
        assert self.con is not None
        try:
            with self.con.cursor() as cur:
                cur.execute(query, params)
                if describe:
                    return [(d.name, d.type_code) for d in cur.description or []]
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            self.con.rollback()
            raise SourceError(
                f"source {self.dataset!r}: the database rejected the query: {str(exc).strip().splitlines()[0]}",
                hint="check `table`/`query` and `cursor` in the source (names are case-sensitive)",
            ) from None

    def relation(self) -> Relation:
        if self.options.table:
            rel = Relation(sql.Identifier(*self.options.table.split(".")), self.options.table)
        else:
            assert self.options.query is not None
            label = f"query:{stable_hash(self.options.query)[:12]}"
            # the query is the source owner's own SQL, run as written
            user_sql = sql.SQL(self.options.query)
            rel = Relation(sql.SQL("({}) AS q").format(user_sql), label)
        rel.columns = self._describe(rel)
        if self.options.cursor and self.options.cursor not in dict(rel.columns):
            raise ConfigError(
                f"source {self.dataset!r}: cursor column {self.options.cursor!r} is not in {rel.label}",
                hint=f"columns: {', '.join(c for c, _ in rel.columns)}",
            )
        return rel

    def _describe(self, rel: Relation) -> list[tuple[str, str]]:
        described = self._run(sql.SQL("SELECT * FROM {} LIMIT 0").format(rel.source), describe=True)
        oids = [[oid for _, oid in described]]
        names = dict(self._run(sql.SQL("SELECT oid, typname FROM pg_type WHERE oid = ANY(%s)"), oids))
        return [(str(name), str(names.get(oid, "text"))) for name, oid in described]

    def stats(self, rel: Relation) -> tuple[int, str | None, str | None]:
        if self.options.cursor:
            cur = sql.Identifier(self.options.cursor)
            query = sql.SQL("SELECT count(*), max({c})::text, pg_typeof(max({c}))::text FROM {r}").format(
                c=cur, r=rel.source
            )
        else:
            query = sql.SQL("SELECT count(*), NULL, NULL FROM {r}").format(r=rel.source)
        count, top, typ = self._run(query)[0]
        return int(count), top, typ

    def batches(self, rel: Relation, schema: pa.Schema, after: str | None = None) -> Iterator[pa.RecordBatch]:
        assert self.con is not None
        query = sql.SQL("SELECT {cols} FROM {r}").format(cols=rel.select_list(), r=rel.source)
        params: list[Any] = []
        if after is not None and self.options.cursor:
            typ = dict(rel.columns)[self.options.cursor]
            query += sql.SQL(" WHERE {c} > CAST(%s AS {t})").format(
                c=sql.Identifier(self.options.cursor), t=sql.Identifier(typ)
            )
            params.append(after)
        if self.options.cursor:
            query += sql.SQL(" ORDER BY {}").format(sql.Identifier(self.options.cursor))
        names = schema.names
        try:
            with self.con.transaction(), self.con.cursor(name="territoria_fetch") as cur:
                cur.execute(query, params or None)
                while rows := cur.fetchmany(self.options.batch_size):
                    columns = [[_arrow_value(r[i]) for r in rows] for i in range(len(names))]
                    yield pa.RecordBatch.from_arrays(
                        [pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)], schema=schema
                    )
        except psycopg.Error as exc:
            raise TransientSourceError(
                f"source {self.dataset!r}: reading from the database failed: {str(exc).strip().splitlines()[0]}",
                hint="nothing was landed; run again",
            ) from None
