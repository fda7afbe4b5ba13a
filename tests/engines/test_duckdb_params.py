"""DuckDB statements with parameters: the values sent as typed literals give what binding gives,
and a command that only writes its ledger rows does not load pandas (see engines/duckdb/params.py)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.engines.duckdb.params import inlined

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
        assert inlined([value, value]) is not None
        bound = duckdb.connect().execute(sql, [value, value]).fetchall()
        assert engine.fetch_all(sql, [value, value]) == bound
    finally:
        engine.close()


@pytest.mark.parametrize("value", [b"\x00x", [1, 2], Decimal("1.25"), 2**70, "a\0b"], ids=repr)
def test_a_value_without_an_exact_literal_is_bound(value: Any) -> None:
    assert inlined([1, value]) is None
    engine = DuckDBEngine(None)
    try:
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
