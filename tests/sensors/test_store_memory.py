"""A long-running listener and SensorThings service keep their memory bounded, however much is stored (issue 19).

Every flush writes new Parquet files, the writer reads them back to fold the aggregates, and the
SensorThings service reads them to answer; compaction replaces them. DuckDB's external file cache
(on by default, bounded only by ``memory_limit``) kept every file each connection had read:
+0.6 MiB a flush in ``bench/soak.py``. The memory each connection holds must not grow from flush
to flush.
"""

from __future__ import annotations

import duckdb

from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import Registry
from territoria.sensors.sta.service import Service
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace

from .conftest import DEVICES, message, uplink

SLACK = 192 * 1024


def duckdb_bytes(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
    return int(row[0]) if row else 0


def test_memory_does_not_grow_with_flushes(sensor_ws: Workspace, registry: Registry, store: SensorStore) -> None:
    lht65 = [eui for eui, (_thing, _where, profile, _role) in DEVICES.items() if profile == "LHT65"]
    service = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    writer_sizes, service_sizes = [], []
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)
        for fcnt in range(1, 25):
            when = f"2025-07-01T{fcnt // 60:02d}:{fcnt % 60:02d}:00Z"
            ingestor.ingest([message(uplink(eui, fcnt, when, 20.0 + fcnt % 7)) for eui in lht65])
            service.refresh()
            seen = service.con.execute("SELECT count(*) FROM sta_observations").fetchone()
            assert seen == (fcnt * len(lht65) * 2,)
            writer_sizes.append(duckdb_bytes(writer.db))
            service_sizes.append(duckdb_bytes(service.con))
        assert ingestor.report.stored == 24 * len(lht65) * 2
    for what, sizes in (("store writer", writer_sizes), ("SensorThings service", service_sizes)):
        grown = max(sizes[8:]) - max(sizes[:8])
        assert grown <= SLACK, f"the {what}'s DuckDB grows with each flush: {sizes[::4]} bytes"
