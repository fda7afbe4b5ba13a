"""Arrow <-> PostgreSQL: column types both ways, result rows to Arrow, Arrow rows to COPY."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa

#: PostgreSQL type name -> the Arrow type of a fetched column (anything else is text)
ARROW_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "bytea": pa.binary(),
    "geometry": pa.binary(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
}

#: PostgreSQL type name -> the DuckDB spelling ``Engine.columns`` reports (callers compare them)
DUCKDB_NAMES: dict[str, str] = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "bytea": "BLOB",
    "json": "JSON",
    "jsonb": "JSON",
    "geometry": "GEOMETRY",
    "interval": "INTERVAL",
    "time without time zone": "TIME",
}


def duckdb_type(pg_type: str) -> str:
    """``numeric(12,2)`` -> ``DECIMAL(12,2)``, ``text[]`` -> ``VARCHAR[]``..."""
    if pg_type.endswith("[]"):
        return duckdb_type(pg_type[:-2]) + "[]"
    if pg_type.startswith("numeric"):
        return "DECIMAL" + pg_type[len("numeric") :] if "(" in pg_type else "DECIMAL(38,10)"
    return DUCKDB_NAMES.get(pg_type, pg_type.upper())


GEOARROW = b"geoarrow.wkb"


def is_geometry(field: pa.Field) -> bool:
    """A WKB column as DuckDB hands it to Arrow (``geoarrow.wkb`` extension metadata)."""
    return bool(field.metadata) and field.metadata.get(b"ARROW:extension:name") == GEOARROW


def pg_type(field: pa.Field) -> str:
    """The column type a COPY of an Arrow column lands in (WKB geometry lands as bytea)."""
    dtype = field.type
    if pa.types.is_int64(dtype) or pa.types.is_uint32(dtype):
        return "bigint"
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "double precision"
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_timestamp(dtype):
        return "timestamptz" if dtype.tz else "timestamp"
    if pa.types.is_decimal(dtype):
        return f"numeric({dtype.precision},{dtype.scale})"
    if pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype):
        return "bytea"
    return "text"


def arrow_type(type_name: str, precision: int | None, scale: int | None) -> pa.DataType:
    if type_name == "numeric":
        if precision and precision <= 38:
            return pa.decimal128(precision, scale or 0)
        return pa.float64()
    if type_name.startswith("_"):  # an array type
        return pa.list_(ARROW_TYPES.get(type_name[1:], pa.string()))
    return ARROW_TYPES.get(type_name, pa.string())


SRID_FLAG = 0x20000000


def wkb(hex_ewkb: str) -> bytes:
    """PostGIS's hex EWKB as plain WKB (what DuckDB hands out): the SRID is left out."""
    data = bytes.fromhex(hex_ewkb)
    order: Literal["little", "big"] = "little" if data[0] == 1 else "big"
    kind = int.from_bytes(data[1:5], order)
    if not kind & SRID_FLAG:
        return data
    return data[:1] + (kind & ~SRID_FLAG).to_bytes(4, order) + data[9:]


def _value(value: Any, geometry: bool) -> Any:
    if geometry and isinstance(value, str):
        return wkb(value)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def to_batch(rows: Sequence[tuple[Any, ...]], schema: pa.Schema, geometry: set[int]) -> pa.RecordBatch:
    columns = []
    for i, field in enumerate(schema):
        values = [_value(r[i], i in geometry) for r in rows]
        if pa.types.is_floating(field.type):  # an unbounded numeric: Decimal values, read as doubles
            values = [float(v) if isinstance(v, Decimal) else v for v in values]
        columns.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def copy_rows(table: pa.Table) -> Iterable[tuple[Any, ...]]:
    """The rows of ``table`` as COPY writes them (nested values as JSON text)."""
    nested = [pa.types.is_nested(f.type) for f in table.schema]
    for batch in table.to_batches(max_chunksize=65536):
        columns = [col.to_pylist() for col in batch.columns]
        for row in zip(*columns, strict=True):
            yield tuple(
                json.dumps(v, ensure_ascii=False, default=str) if n and v is not None else v
                for v, n in zip(row, nested, strict=True)
            )
