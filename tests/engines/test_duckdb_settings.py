"""The DuckDB connection's allocator setting: freed memory is kept for the next statements (up to
the memory limit when one is set) instead of being handed back to the kernel after every task past
DuckDB's 128 MB default (docs/energy.md, "The variance")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from territoria.engines import open_engine
from territoria.engines.duckdb.engine import DuckDBEngine

GIB = 1024**3


def _bytes(engine: DuckDBEngine, setting: str) -> int:
    rows = engine.fetch_all(f"SELECT value FROM duckdb_settings() WHERE name = '{setting}'")
    number, unit = rows[0][0].split()
    return int(float(number) * {"MiB": 1024**2, "GiB": GIB}[unit])


def test_freed_memory_is_kept_up_to_a_quarter_of_the_machine_at_most_eight_gigabytes() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    engine = DuckDBEngine(None)
    try:
        kept = _bytes(engine, "allocator_flush_threshold")
        # not DuckDB's 128 MiB; DuckDB prints the value rounded to a tenth of its unit
        assert kept == pytest.approx(min(8 * GIB, physical // 4), rel=0.06)
        assert kept <= 8 * GIB
    finally:
        engine.close()


def test_a_memory_limit_bounds_the_memory_kept(tmp_path: Path) -> None:
    engine = open_engine("duckdb", tmp_path, memory_limit="1GB")
    assert isinstance(engine, DuckDBEngine)
    try:
        assert _bytes(engine, "allocator_flush_threshold") == _bytes(engine, "memory_limit") < GIB
    finally:
        engine.close()


def test_engine_options_set_the_threshold() -> None:
    engine = DuckDBEngine(None, memory_limit="4GB", allocator_flush_threshold="256MB")
    try:
        assert 200 * 1024**2 < _bytes(engine, "allocator_flush_threshold") < 256 * 1024**2
    finally:
        engine.close()


def _serialization_compatibility(store: Path) -> int:
    """The storage format a DuckDB file is written for, from its newer database header (two 4 KiB
    headers after the main one: checksum, iteration, then five fields before this one)."""
    data = store.read_bytes()[4096:12288]
    headers = [data[0:4096], data[4096:8192]]
    newest = max(headers, key=lambda h: int.from_bytes(h[8:16], "little"))
    return int.from_bytes(newest[56:64], "little")


def test_a_new_store_is_written_in_the_pinned_duckdbs_own_format(tmp_path: Path) -> None:
    """Not DuckDB's default, readable by DuckDB 0.10.2: that format converts every column's
    distinct-count sketch at each checkpoint, a cost that grew with the ledger's history."""
    import duckdb

    (tmp_path / "ours").mkdir()
    engine = open_engine("duckdb", tmp_path / "ours")
    engine.execute("CREATE TABLE t AS SELECT 1 AS a")
    engine.close()
    con = duckdb.connect(str(tmp_path / "default.duckdb"))
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    con.close()
    default = _serialization_compatibility(tmp_path / "default.duckdb")
    assert _serialization_compatibility(tmp_path / "ours" / "store.duckdb") > default
    # and DuckDB opened with its default settings still reads it
    with duckdb.connect(str(tmp_path / "ours" / "store.duckdb"), read_only=True) as con:
        assert con.execute("SELECT a FROM t").fetchall() == [(1,)]
