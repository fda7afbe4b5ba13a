"""DuckDB statements with parameters: the values sent as typed literals give what binding gives,
and a command that only writes its ledger rows does not load pandas (see engines/duckdb/params.py)."""

from __future__ import annotations

import datetime as dt
import enum
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.engines.duckdb.params import inlined, literal

VALUES: list[Any] = [
    None,
    True,
    7,
    -(2**31),
    2**31,
    2**62,
    0.1,
    -1.5e-300,
    float("inf"),
    "l'été ? -- $1",
    "",
    dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.date(1999, 12, 31),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_literal_has_the_value_and_type_of_the_binding(value: Any) -> None:
    engine = DuckDBEngine(None)
    try:
        sql = "SELECT ? AS v, typeof(?) AS t"
        assert inlined(engine.con, sql, [value, value]) is not None
        bound = duckdb.connect().execute(sql, [value, value]).fetchall()
        assert engine.fetch_all(sql, [value, value]) == bound
    finally:
        engine.close()


@pytest.mark.parametrize("value", [b"\x00x", [1, 2], Decimal("1.25"), 2**70, "a\0b"], ids=repr)
def test_a_value_without_an_exact_literal_is_bound(value: Any) -> None:
    engine = DuckDBEngine(None)
    try:
        assert inlined(engine.con, "SELECT ?, ?", [1, value]) is None
        assert engine.fetch_all("SELECT ?", [value]) == duckdb.connect().execute("SELECT ?", [value]).fetchall()
    finally:
        engine.close()


def test_statements_with_parameters_do_not_load_pandas() -> None:
    code = """
import datetime, sys
from territoria.engines.duckdb.engine import DuckDBEngine
e = DuckDBEngine(None)
e.execute("CREATE TABLE t (a INTEGER, b VARCHAR, c TIMESTAMP, d DOUBLE)")
e.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [1, "x", datetime.datetime(2024, 1, 2), 2.5])
e.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [2, None, None, None])
assert e.fetch_all("SELECT count(*) FROM t WHERE a >= ? AND b = ?", [1, "x"]) == [(1,)]
print(sorted(m for m in ("pandas", "numpy") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


class Text(str):
    def __str__(self) -> str:
        return "not the value"


class Number(int):
    def __str__(self) -> str:
        return "five"


class Stamp(dt.datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "not a date"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.float64(1.5), (1.5, "DOUBLE")),
        (Text("a'b"), ("a'b", "VARCHAR")),
        (Number(5), (5, "INTEGER")),
        (Stamp(2024, 5, 6, 7), (dt.datetime(2024, 5, 6, 7), "TIMESTAMP")),
    ],
    ids=repr,
)
def test_a_subclass_is_sent_as_its_value(value: Any, expected: tuple[Any, str]) -> None:
    """What binding gives (binding an int subclass is slow in DuckDB: the expected rows are written out)."""
    engine = DuckDBEngine(None)
    try:
        assert engine.fetch_all("SELECT ? AS v, typeof(?) AS t", [value, value]) == [expected]
    finally:
        engine.close()


def test_an_int_subclass_takes_no_time() -> None:
    class Level(enum.IntEnum):
        LOW = -(2**31)
        HIGH = 2**62

    started = time.process_time()
    assert [literal(v) for v in Level] == ["CAST(-2147483648 AS INTEGER)", "CAST(4611686018427387904 AS BIGINT)"]
    assert time.process_time() - started < 1


@pytest.mark.parametrize(
    "sql", ["SELECT 1; SELECT ?", "SELECT ?;", "SELECT ? -- ; SELECT 2", "/* ; */ SELECT ?", "SELECT ?, '?;'"]
)
def test_statements_and_comments_run_as_bound(sql: str) -> None:
    engine = DuckDBEngine(None)
    try:
        assert engine.fetch_all(sql, [7]) == duckdb.connect().execute(sql, [7]).fetchall()
        engine.execute("CREATE TABLE t (a INTEGER)")
        # the second statement must not run before (nor without) the first's parameter
        with pytest.raises(duckdb.Error):
            engine.execute("INSERT INTO t VALUES (?); INSERT INTO t VALUES (2)", [1])
        assert engine.fetch_all("SELECT a FROM t ORDER BY a") == duckdb_rows_of_multi()
    finally:
        engine.close()


def duckdb_rows_of_multi() -> list[tuple[Any, ...]]:
    """What binding leaves in the table after the same two statements."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a INTEGER)")
    with pytest.raises(duckdb.Error):
        con.execute("INSERT INTO t VALUES (?); INSERT INTO t VALUES (2)", [1])
    return con.execute("SELECT a FROM t ORDER BY a").fetchall()


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=50),
    st.datetimes(),
    st.datetimes(
        timezones=st.sampled_from(
            [dt.UTC, dt.timezone(dt.timedelta(hours=-9, minutes=-30)), dt.timezone(dt.timedelta(hours=13, seconds=17))]
        )
    ),
    st.dates(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=4))
def test_literals_give_what_binding_gives(values: list[Any]) -> None:
    sql = "SELECT " + ", ".join(f"${i + 1}, typeof(${i + 1})" for i in range(len(values)))
    assert inlined(ENGINE.con, sql, values) is not None
    assert ENGINE.fetch_all(sql, values) == BOUND.execute(sql, values).fetchall()


ENGINE = DuckDBEngine(None)
BOUND = duckdb.connect()


def test_threads_sharing_an_engine_get_their_own_results() -> None:
    engine = DuckDBEngine(None)
    try:

        def run(i: int) -> list[tuple[Any, ...]]:
            return [engine.fetch_all("SELECT ? * 2, ?", [i, f"t{i}"])[0] for _ in range(50)]

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(run, range(8)))
        assert results == [[(i * 2, f"t{i}")] * 50 for i in range(8)]
    finally:
        engine.close()
