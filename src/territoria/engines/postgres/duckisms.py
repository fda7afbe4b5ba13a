"""What DuckDB-dialect statements do that no SQL translation can: done on the client.

* File table functions (``read_parquet``, ``read_csv``, ``read_json``, ``ST_Read``) name files of
  the workspace, which the server cannot see: each call is evaluated by an in-memory DuckDB (the
  same reader as the default engine, so the same columns and types), its rows are sent by COPY
  into a temporary table, and the statement reads that table instead. A call is loaded once per
  file version and connection.
* ``DESCRIBE <query or relation>`` answers DuckDB's (column_name, column_type, null, key,
  default, extra) rows from the query's result description, with DuckDB's type names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from territoria.engines.postgres import arrow as pgarrow

if TYPE_CHECKING:
    import pyarrow as pa

FILE_FUNCTIONS = re.compile(
    r"\b(read_parquet|read_csv|read_csv_auto|read_json|read_json_auto|st_read)\s*\(", re.IGNORECASE
)
PATHS = re.compile(r"'((?:[^']|'')*)'")
DESCRIBE = re.compile(r"\A\s*DESCRIBE\s+(.*?)\s*;?\s*\Z", re.IGNORECASE | re.DOTALL)

#: PostgreSQL type name (``pg_type.typname``) -> DuckDB's
TYPNAMES = {
    "int2": "SMALLINT",
    "int4": "INTEGER",
    "int8": "BIGINT",
    "float4": "FLOAT",
    "float8": "DOUBLE",
    "text": "VARCHAR",
    "varchar": "VARCHAR",
    "bpchar": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP WITH TIME ZONE",
    "bytea": "BLOB",
    "json": "JSON",
    "jsonb": "JSON",
    "geometry": "GEOMETRY",
    "interval": "INTERVAL",
    "time": "TIME",
}


def file_calls(sql: str) -> list[tuple[int, int]]:
    """(start, end) of each file table function call in ``sql``, parentheses balanced, strings skipped."""
    spans = []
    for match in FILE_FUNCTIONS.finditer(sql):
        depth, i, quoted = 1, match.end(), False
        while i < len(sql) and depth:
            ch = sql[i]
            if ch == "'":
                quoted = not quoted
            elif not quoted and ch == "(":
                depth += 1
            elif not quoted and ch == ")":
                depth -= 1
            i += 1
        spans.append((match.start(), i))
    return spans


def file_version(call: str) -> tuple[Any, ...]:
    """The call and the size and mtime of each file it names (a rewritten file is read again)."""
    from pathlib import Path

    stamps: list[Any] = []
    for literal in PATHS.findall(call):
        path = Path(literal.replace("''", "'"))
        if path.is_file():
            stat = path.stat()
            stamps.append((stat.st_size, stat.st_mtime_ns))
    return (call, *stamps)


def with_local_files(sql: str, load: Callable[[str], str]) -> str:
    """``sql`` with each file function call replaced by the table ``load(call)`` names."""
    spans = file_calls(sql)
    if not spans:
        return sql
    out, last = [], 0
    for start, end in spans:
        if start < last:  # a call nested in another's arguments is the outer call's business
            continue
        out.append(sql[last:start])
        out.append(load(sql[start:end]))
        last = end
    out.append(sql[last:])
    return "".join(out)


def read_locally(call: str) -> pa.Table:
    """The rows of one file function call, read by an in-memory DuckDB."""
    from territoria.engines.duckdb import DuckDBEngine

    reader = DuckDBEngine(None)
    try:
        return reader.fetch_arrow(f"SELECT * FROM {call}")
    finally:
        reader.close()


DUCKDB_TABLES = re.compile(r"\bduckdb_tables\(\)", re.IGNORECASE)


def with_catalog(sql: str, prefix: str) -> str:
    """DuckDB's ``duckdb_tables()`` as the store's base tables (schemas without their prefix)."""
    if not DUCKDB_TABLES.search(sql):
        return sql
    start = len(prefix) + 1
    tables = (
        f"(SELECT current_database() AS database_name, substr(schemaname, {start}) AS schema_name, "
        f"tablename AS table_name FROM pg_catalog.pg_tables WHERE starts_with(schemaname, '{prefix}'))"
    )
    return DUCKDB_TABLES.sub(lambda _: tables, sql)


def describe_query(sql: str) -> str | None:
    """The query a ``DESCRIBE`` statement describes, ``None`` for any other statement."""
    match = DESCRIBE.match(sql)
    if not match:
        return None
    target = match.group(1)
    return target if re.match(r"\(?\s*(SELECT|WITH|FROM)\b", target, re.IGNORECASE) else f"SELECT * FROM {target}"


def duckdb_type_of(typname: str, precision: int | None, scale: int | None) -> str:
    if typname == "numeric":
        return f"DECIMAL({precision},{scale or 0})" if precision else "DECIMAL(38,10)"
    if typname.startswith("_"):
        return duckdb_type_of(typname[1:], None, None) + "[]"
    return TYPNAMES.get(typname, pgarrow.duckdb_type(typname))
