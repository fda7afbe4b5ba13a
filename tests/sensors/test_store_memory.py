"""A long-running listener's store writer keeps its memory bounded, however much it stores (issue 19)."""

from __future__ import annotations

from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import Registry
from territoria.sensors.store import SensorStore, StoreWriter

from .conftest import DEVICES, message, uplink


def duckdb_bytes(writer: StoreWriter) -> int:
    row = writer.db.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
    return int(row[0]) if row else 0


def test_writer_memory_does_not_grow_with_flushes(registry: Registry, store: SensorStore) -> None:
    """Every flush writes new Parquet files and reads them back to fold the aggregates: DuckDB's
    external file cache (on by default, bounded only by memory_limit) kept each of them, +0.6 MiB
    a flush in the soak. The memory the writer's DuckDB holds must not grow from flush to flush."""
    lht65 = [eui for eui, (_thing, _where, profile, _role) in DEVICES.items() if profile == "LHT65"]
    sizes = []
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)
        for fcnt in range(1, 41):
            when = f"2025-07-01T{fcnt // 60:02d}:{fcnt % 60:02d}:00Z"
            ingestor.ingest([message(uplink(eui, fcnt, when, 20.0 + fcnt % 7)) for eui in lht65])
            sizes.append(duckdb_bytes(writer))
        assert ingestor.report.stored == 40 * len(lht65) * 2
    assert max(sizes[10:]) <= max(sizes[:10]) + 256 * 1024, f"the writer's DuckDB grows: {sizes[::5]} bytes"
