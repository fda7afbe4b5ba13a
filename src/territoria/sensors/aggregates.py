"""SQL over the store's hourly aggregates: hourly and daily statistics per datastream.

Hours are UTC hours; days are local days of the registry's time zone (Europe/Paris by default),
derived from the hourly sums so that they are exact (every offset of a French time zone is a
whole number of hours). Means are ``sum / n`` of the raw observations, not means of means; the
hourly sums are added as DECIMAL(38, 9), exactly, so a day's mean does not depend on the thread count.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from territoria.engines.base import quote_literal
from territoria.sensors.obslayout import HOURLY_SCHEMA
from territoria.sensors.store import SensorStore


def hourly_relation(con: duckdb.DuckDBPyConnection, store: SensorStore, name: str = "_hourly") -> str:
    """Register the hourly aggregates as ``name`` (an empty table when the store is empty)."""
    files = [str(p) for p in store.hourly_files()]
    if files:
        listed = ", ".join(quote_literal(f) for f in files)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet([{listed}])")
    else:
        con.register(name, HOURLY_SCHEMA.empty_table())
    return name


def hourly_sql(relation: str, timezone: str) -> str:
    tz = quote_literal(timezone)
    return (
        f"SELECT datastream, hour, CAST(timezone({tz}, hour) AS DATE) AS local_date, "
        f"hour(timezone({tz}, hour)) AS local_hour, n, sum / n AS mean, min, max FROM {relation}"
    )


def daily_sql(relation: str, timezone: str) -> str:
    tz = quote_literal(timezone)
    return (
        f"SELECT datastream, CAST(timezone({tz}, hour) AS DATE) AS day, sum(n)::BIGINT AS n, "
        f"sum(sum::DECIMAL(38, 9)) / sum(n) AS mean, min(min) AS min, max(max) AS max, count(*)::INTEGER AS hours "
        f"FROM {relation} GROUP BY ALL"
    )


def landed_sql(table: str, relation: str, streams: str, timezone: str) -> str:
    """The rows the ``sensors`` connector lands for ``table`` (hourly or daily): the aggregates of
    ``relation`` (the store's hourly rows) with each datastream's thing, quantity, commune and role
    (from ``streams``). Plain SQL, so any engine computes the same table from the same rows."""
    sql = hourly_sql(relation, timezone) if table == "hourly" else daily_sql(relation, timezone)
    order = "hour" if table == "hourly" else "day"
    return (
        f"SELECT s.thing, s.quantity, s.commune, s.role, a.* FROM ({sql}) a "
        f"JOIN {streams} s USING (datastream) ORDER BY a.datastream, {order}"
    )


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def empty(columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({k: pa.array([], t) for k, t in columns.items()})
