"""Batches staged while the previous one is committed (the listener's pipeline): a repeat of an
uncommitted batch's observation is never stored twice, and a crash between stage and commit leaves
no temporary file behind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from territoria.sensors import upkeep as upkeep_module
from territoria.sensors.keyset import KeySet
from territoria.sensors.normalise import Batch
from territoria.sensors.registry import Registry
from territoria.sensors.sta.service import OBS_ID_SHIFT, Service
from territoria.sensors.store import KEY_MONTHS, SensorStore
from territoria.workspace import Workspace

from .test_sta_incremental import paged, write


def batch(months: list[int], key_base: int = 0) -> Batch:
    """One observation of datastream 1 on the first of each month of 2025 (its key from the month)."""
    b = Batch()
    for m in months:
        b.datastream.append(1)
        b.time_us.append(int(datetime(2025, m, 1, tzinfo=UTC).timestamp()) * 1_000_000)
        b.result.append(float(m))
        b.foi.append(1)
        b.fcnt.append(m)
        b.key.append(key_base + m)
    return b


def stored_keys(store: SensorStore) -> list[int]:
    return sorted(k for f in store.obs_files() for k in pq.read_table(f, columns=["okey"]).column("okey").to_pylist())


def test_a_repeat_of_an_uncommitted_batch_is_not_stored_again(tmp_path: Path) -> None:
    store = SensorStore(tmp_path / "sensors")
    with store.writer() as writer:
        first = writer.stage(batch([12]), 0)
        # the next batch touches more months than the keys kept in memory, December last: its keys
        # must not be re-read from the files alone, which do not hold the first batch yet
        second = writer.stage(batch([*range(1, KEY_MONTHS + 2), 12]), 0)
        assert writer.commit(first).stored == 1
        result = writer.commit(second)
    assert (result.stored, result.duplicates) == (KEY_MONTHS + 1, 1)
    assert stored_keys(store) == [*range(1, KEY_MONTHS + 2), 12]


def test_a_crash_between_stage_and_commit_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = SensorStore(tmp_path / "sensors")
    writer = store.writer()
    writer.stage(batch([3, 4]), 0)
    writer.close()  # the process dies: the staged files were never committed
    assert any(p.name.endswith(".tmp") for p in store.root.rglob("*"))
    with store.writer() as writer:  # the next open clears them, and the re-delivery is stored once
        assert writer.append(batch([3, 4]), 0).stored == 2
        assert writer.append(batch([3, 4]), 0).stored == 0
    assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]
    assert stored_keys(store) == [3, 4]


def test_a_compaction_between_refresh_and_query_is_not_an_error(
    sensor_ws: Workspace, registry: Registry, store: SensorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listener (another process) compacts after a request brought its relations up to date and
    before its query reads the files: the request reads the compacted file instead."""
    live = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    refresh = live.refresh
    armed: list[int] = []

    def refresh_then_compact() -> None:
        refresh()
        if armed:
            with store.writer() as writer:
                assert writer.compact(min_files=2) == armed.pop()

    monkeypatch.setattr(live, "refresh", refresh_then_compact)
    for day in range(3):
        write(registry, store, datetime(2025, 7, 1 + day, tzinfo=UTC), 6, 20.0 + day)
    expected = paged(Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes), 5, 10)
    armed.append(3)
    assert paged(live, 5, 10) == expected  # every datastream: the files' counts, then a read
    for day in range(3, 5):
        write(registry, store, datetime(2025, 7, 1 + day, tzinfo=UTC), 6, 20.0 + day)
    datastream = int(expected[0][0][0]) >> OBS_ID_SHIFT
    fresh = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    expected = paged(fresh, 2, 4, datastream=datastream)
    armed.append(3)  # the two new parts and the compacted file
    assert paged(live, 2, 4, datastream=datastream) == expected
    assert not armed


def test_a_crash_after_a_compacted_file_is_written_counts_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compaction writes the merged file, then renames the parts in the aggregates' record, then
    deletes the parts: a crash after the first step must not fold the merged rows in again."""
    store = SensorStore(tmp_path / "sensors")
    with store.writer() as writer:
        for base in range(3):
            writer.append(batch([5, 6], key_base=100 * base), 0)
    hourly = sorted(pq.read_table(store.hourly_files()).column("n").to_pylist())
    real = upkeep_module.write_atomic
    calls: list[Path] = []

    def crash_on_the_aggregates(table: pa.Table, path: Path, *args: object, **kwargs: object) -> None:
        calls.append(path)
        if path.parent == store.hourly_dir:
            raise OSError("the machine went down")
        real(table, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(upkeep_module, "write_atomic", crash_on_the_aggregates)
    writer = store.writer()
    with pytest.raises(OSError, match="went down"):
        writer.compact(min_files=2)
    writer.close()
    monkeypatch.setattr(upkeep_module, "write_atomic", real)
    assert calls[0].name.startswith("compact-")  # the merged file is on disk, the parts too
    with store.writer():  # the next open finishes the compaction
        pass
    assert [f.name.startswith("compact-") for f in store.obs_files()] == [True, False, False, False]  # May merged
    assert sorted(pq.read_table(store.hourly_files()).column("n").to_pylist()) == hourly


def test_the_key_set_finds_what_was_added_and_nothing_else() -> None:
    keys = KeySet(np.array([5, -3, 5, 2**62, -(2**63)], dtype=np.int64))
    assert len(keys) == 4  # the repeat is held once
    probe = np.array([-(2**63), -3, 0, 4, 5, 6, 2**62, 2**63 - 1], dtype=np.int64)
    assert keys.contains(probe).tolist() == [True, True, False, False, True, False, True, False]
    keys.add(np.array([0, 6, 2**63 - 1], dtype=np.int64))  # sorted, distinct, new: as ``_new_rows`` gives them
    assert keys.contains(probe).tolist() == [True, True, True, False, True, True, True, True]
    assert not KeySet().contains(probe).any()
