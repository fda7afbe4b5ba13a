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
