"""One observation file per batch and month; stores of the former per-datastream layout still read
and are merged into the new one by compaction, with the same counts, pages and aggregates."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from territoria.sensors.normalise import Batch
from territoria.sensors.registry import Registry
from territoria.sensors.sta.service import Service
from territoria.sensors.store import SensorStore
from territoria.sensors.upkeep import FOLDED
from territoria.workspace import Workspace

from .test_sta_incremental import content, paged, scanned, write


def to_legacy_layout(store: SensorStore) -> None:
    """Rewrite the store as the former layout did: one file per (month, datastream) in its own
    directory, no row counts in the footers, the aggregates naming them ``<datastream>/<file>``."""
    for path in store.obs_files():
        table = pq.read_table(path)
        table = table.replace_schema_metadata({})
        names = []
        for ds in sorted(set(table.column("datastream").to_pylist())):
            target = path.parent / f"datastream={ds}" / f"part-{uuid.uuid4().hex}.parquet"
            target.parent.mkdir(exist_ok=True)
            pq.write_table(table.filter(pc.equal(table.column("datastream"), ds)), target)
            names.append(f"{ds}/{target.name}")
        path.unlink()
        agg = store.hourly_dir / f"{path.parent.name}.parquet"
        folded = set(json.loads((pq.read_schema(agg).metadata or {})[FOLDED])) - {path.name}
        pq.write_table(
            pq.read_table(agg).replace_schema_metadata({FOLDED: json.dumps(sorted(folded | set(names)))}), agg
        )


def test_a_batch_writes_one_file_per_month(registry: Registry, store: SensorStore) -> None:
    write(registry, store, datetime(2025, 7, 31, 20, tzinfo=UTC), 8, 20.0)  # July and August
    files = store.obs_files()
    assert [f.parent.name for f in files] == ["month=2025-07", "month=2025-08"]
    for f in files:
        rows = json.loads((pq.read_schema(f).metadata or {})[b"territoria.rows"])
        table = pq.read_table(f)
        assert sum(rows.values()) == table.num_rows == 2 * 2 * 4  # 2 devices x 2 quantities x 4 hours
        keys = list(zip(table.column("datastream").to_pylist(), table.column("time").to_pylist(), strict=True))
        assert keys == sorted(keys)  # by datastream then time: a datastream's rows are one range


def test_the_former_layout_is_read_then_merged_into_the_new_one(
    sensor_ws: Workspace, registry: Registry, store: SensorStore
) -> None:
    write(registry, store, datetime(2025, 6, 30, 12, tzinfo=UTC), 20, 20.0)
    write(registry, store, datetime(2025, 7, 1, 0, tzinfo=UTC), 30, 25.0)
    expected = content(Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes))
    to_legacy_layout(store)
    assert all(f.parent.name.startswith("datastream=") for f in store.obs_files())
    live = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    assert content(live) == expected
    for skip in (0, 7, 40, 95):
        assert paged(live, skip, 13) == scanned(live, skip, 13)
    total = paged(live, 0, 1)[1]
    write(registry, store, datetime(2025, 7, 3, 0, tzinfo=UTC), 5, 22.0)  # a new-layout file beside them
    with store.writer() as writer:
        assert writer.compact(min_files=2) > 0
    files = store.obs_files()
    assert [f.relative_to(store.obs_dir).parts[0] for f in files] == ["month=2025-06", "month=2025-07"]
    assert all(f.name.startswith("compact-") and f.parent.parent == store.obs_dir for f in files)
    assert not list(store.obs_dir.glob("month=*/datastream=*"))  # the legacy directories are gone
    assert paged(live, 0, 1)[1] == total + 2 * 2 * 5 == scanned(live, 0, 1)[1]
    for skip in (0, 33, 101):
        assert paged(live, skip, 17) == scanned(live, skip, 17)
    fresh = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    assert content(live) == content(fresh)
    with store.writer():  # reopening folds nothing twice: every file is recorded under its new name
        pass
    assert content(Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)) == content(fresh)


def test_hourly_aggregates_floor_each_time_to_its_utc_hour_before_1970_too(tmp_path: Path) -> None:
    """The fold computes hours by integer arithmetic (not date_trunc): floored, not truncated
    towards 1970, so 23:30 on 31 December 1969 is in the 23:00 hour."""
    times = ["1969-12-31T23:30:00", "1969-12-31T23:59:59.999999", "1970-01-01T00:00:00", "2025-07-01T10:59:59.5"]
    batch = Batch()
    for i, text in enumerate([*times, "2025-07-01T10:00:00"]):
        batch.datastream.append(1)
        batch.time_us.append(round(datetime.fromisoformat(text + "+00:00").timestamp() * 1_000_000))
        batch.result.append(float(2**i))
        batch.foi.append(1)
        batch.fcnt.append(i)
        batch.key.append(i)
    store = SensorStore(tmp_path / "sensors")
    with store.writer() as writer:
        writer.append(batch, 0)
    rows = pa.concat_tables([pq.read_table(f) for f in store.hourly_files()]).sort_by("hour").to_pylist()
    assert [(r["hour"].isoformat(), r["n"], r["sum"]) for r in rows] == [
        ("1969-12-31T23:00:00+00:00", 2, 3.0),
        ("1970-01-01T00:00:00+00:00", 1, 4.0),
        ("2025-07-01T10:00:00+00:00", 2, 24.0),
    ]
