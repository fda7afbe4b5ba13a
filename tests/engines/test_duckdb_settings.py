"""The DuckDB connection's allocator setting: freed memory is kept for the next statements (up to
the memory limit when one is set) instead of being handed back to the kernel after every task past
DuckDB's 128 MB default (docs/energy.md, "The variance")."""

from __future__ import annotations

from pathlib import Path

from territoria.engines import open_engine
from territoria.engines.duckdb.engine import DuckDBEngine

GIB = 1024**3


def _bytes(engine: DuckDBEngine, setting: str) -> int:
    rows = engine.fetch_all(f"SELECT value FROM duckdb_settings() WHERE name = '{setting}'")
    number, unit = rows[0][0].split()
    return int(float(number) * {"MiB": 1024**2, "GiB": GIB}[unit])


def test_freed_memory_is_kept_up_to_eight_gigabytes_by_default() -> None:
    engine = DuckDBEngine(None)
    try:
        # 8 GB (DuckDB prints 7.4 GiB), not DuckDB's 128 MiB
        assert 7 * GIB < _bytes(engine, "allocator_flush_threshold") < 8 * GIB
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
