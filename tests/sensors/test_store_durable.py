"""The store acknowledges only what is on disk: every file of a batch and its directory are fsync'd."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import Registry
from territoria.sensors.store import SensorStore

from .conftest import message, uplink

A = "a840410000000001"


def test_append_returns_after_files_and_directories_are_fsynced(
    registry: Registry, store: SensorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        info = os.fstat(fd)
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), stat.S_ISDIR(info.st_mode)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer, live=False)
        ingestor.ingest(
            [
                message(uplink(A, 1, "2025-07-01T00:00:00Z", 21.5, 55.0)),
                message(uplink(A, 2, "2025-08-01T00:00:00Z", 19.0, 60.0)),
            ]
        )
        assert ingestor.report.stored == 4
    files = {f"{p.parent.name}/{p.name}" for p in store.obs_files() + store.hourly_files()}
    assert len(files) == 4  # one observation file per month of the batch, 2 months of hourly aggregates
    # files are fsync'd under their temporary name (then renamed): match them by their final name
    synced_files = {f"{Path(p).parent.name}/{Path(p).name.removeprefix('.').removesuffix('.tmp')}"
                    for p, is_dir in synced if not is_dir}  # fmt: skip
    assert files <= synced_files
    synced_dirs = {Path(p) for p, is_dir in synced if is_dir}
    for f in store.obs_files() + store.hourly_files():
        assert f.parent in synced_dirs  # the rename itself is durable
    for f in store.obs_files():
        assert f.parent.parent in synced_dirs  # and so is a new partition directory


def test_opening_the_store_drops_the_counters_a_killed_writer_left_half_written(store: SensorStore) -> None:
    """``stats.json`` is replaced by ``write_json`` after every batch: a writer killed between the
    write and the rename leaves its temporary file, which recovery did not drop before (it only
    knew the batches' ``.*.parquet.tmp``)."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    stale = store.root / f".stats.json.pid{int(gone.stdout)}.k2j_9a.tmp"
    stale.write_text('{"stored": 1', encoding="utf-8")
    with store.writer():
        pass
    assert not stale.exists()
    assert not [p for p in store.root.iterdir() if p.name.endswith(".tmp")]
