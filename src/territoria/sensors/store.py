"""The observation store: Parquet (zstd) under ``.territoria/sensors/``, independent of the
workspace's DuckDB store, so that a listener never holds the lock ``territoria run`` needs.

Layout::

    obs/month=2025-07/part-<uuid>.parquet                 observations of one batch, by datastream and time
    agg/hourly/month=2025-07.parquet                       per datastream and UTC hour: n, sum, min, max
    quarantine/part-<uuid>.parquet                         rejected messages and values, with the reason
    events/part-<uuid>.parquet                             ChirpStack `status` and `log` events
    stats.json                                             counters since the store was created
    lock                                                   one writer at a time (flock)

Every file is written to a temporary name, fsync'd, renamed into place and its directory fsync'd,
so readers (the SensorThings API, the pipeline's ``sensors`` connector) never see half a file and
what ``append`` returned from survives an OS crash: the listener acknowledges a batch only after
it. A batch writes one observation file per month it touches (``sensors/obslayout.py``), and the
files of one batch are fsync'd together (several threads when there are several, so the file
system commits them in a few journal transactions rather than one per file). The hourly aggregates are
folded in incrementally: each month file records, in its Parquet metadata, which observation
files it already contains; at open, files written but not yet folded (a crash between the two
writes) are folded in, so the aggregates never miss nor double-count an observation. Daily
aggregates are derived from the hourly ones on read (local days of the registry's time zone).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from territoria.core.errors import WorkspaceLockedError
from territoria.core.jsonfile import write_json
from territoria.sensors import upkeep
from territoria.sensors.durable import Durable
from territoria.sensors.keyset import Keys, KeySet
from territoria.sensors.normalise import Batch
from territoria.sensors.obslayout import (
    EVENTS_SCHEMA,
    OBS_SCHEMA,
    QUARANTINE_SCHEMA,
    ROW_GROUP,
    month_files,
    rows_metadata,
)
from territoria.sensors.upkeep import COMPACT_AFTER

#: months of observation keys kept in memory for deduplication (older ones are re-read from disk)
KEY_MONTHS = 3


@dataclass
class AppendResult:
    stored: int
    duplicates: int
    #: reasons of the quarantine rows written (repeats of already quarantined values excluded)
    reasons: list[str]


@dataclass
class Staged:
    """A batch whose files are written under temporary names, not yet durable."""

    batch: Batch
    stored: int
    duplicates: int
    quarantine: list[dict[str, Any]]
    durable: Durable = field(default_factory=lambda: Durable())
    written: dict[str, list[str]] = field(default_factory=dict)
    fresh: dict[str, pa.Table] = field(default_factory=dict)


class SensorStore:
    """Paths and read access; ``writer()`` gives the single writer."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.obs_dir = root / "obs"
        self.hourly_dir = root / "agg" / "hourly"
        self.quarantine_dir = root / "quarantine"
        self.events_dir = root / "events"
        for d in (self.obs_dir, self.hourly_dir, self.quarantine_dir, self.events_dir):
            d.mkdir(parents=True, exist_ok=True)

    def obs_files(self) -> list[Path]:
        return [f for month in sorted(self.obs_dir.glob("month=*")) for f in month_files(month)]

    def hourly_files(self) -> list[Path]:
        return sorted(self.hourly_dir.glob("month=*.parquet"))

    def stats(self) -> dict[str, Any]:
        path = self.root / "stats.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def hourly_versions(self) -> dict[str, tuple[int, int]]:
        """Size and modification time of each month's hourly aggregates (changed by every write)."""
        out = {}
        for p in self.hourly_files():
            st = p.stat()
            out[p.stem.removeprefix("month=")] = (st.st_size, st.st_mtime_ns)
        return out

    def version(self) -> str:
        """Changes whenever the aggregates change (used by the pipeline's connector)."""
        parts = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in self.hourly_files()]
        return "|".join(parts)

    def writer(self) -> StoreWriter:
        return StoreWriter(self)


class StoreWriter:
    def __init__(self, store: SensorStore) -> None:
        self.store = store
        self._lock_fd = os.open(store.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise WorkspaceLockedError(
                "the sensor store is being written by another process (`territoria sensors listen` or `replay`)",
                hint="stop it first, or feed it the file through the broker",
            ) from None
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute("SET threads = 1")  # folds of one batch: a second thread costs more CPU than it saves
        # Each file this connection reads is one it has just written, read once: DuckDB's cache of
        # external files (on by default, bounded only by memory_limit) would keep every one of them,
        # and a long-running listener would grow by the size of what it stores.
        self.db.execute("SET enable_external_file_cache = false")
        #: keys of stored observations, per month, loaded when a month is touched (LRU, bounded memory)
        self._keys: OrderedDict[str, KeySet] = OrderedDict()
        #: batches staged, not committed: a month's keys read again from the files must add theirs
        self._inflight: list[Staged] = []
        self._inflight_lock = threading.Lock()
        #: a commit failing in the listener's committer thread forgets the keys while one is staged
        self._keys_lock = threading.RLock()
        self._day_month: dict[int, str] = {}
        self.quarantined_keys: set[int] = set()
        self.stats: dict[str, Any] = store.stats() or {"received": 0, "stored": 0, "duplicates": 0}
        self._load_keys()
        self.recover()

    def close(self) -> None:
        self.db.close()
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def forget(self) -> None:
        """Drop the keys held in memory (those of staged batches too): they are read again from the
        files, which hold only what was committed."""
        with self._keys_lock:
            with self._inflight_lock:
                self._inflight.clear()
            self._keys.clear()
            self.quarantined_keys.clear()
            self._load_keys()

    def _load_keys(self) -> None:
        for f in sorted(self.store.quarantine_dir.glob("*.parquet")):
            column = pq.ParquetFile(f).read(columns=["okey"]).column("okey").drop_null()
            self.quarantined_keys.update(column.to_numpy().tolist())

    def _month(self, time_us: int) -> str:
        day = time_us // 86_400_000_000
        month = self._day_month.get(day)
        if month is None:
            month = self._day_month[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m")
        return month

    def keys(self, month: str) -> KeySet:
        """Keys already stored for observations of ``month`` (read from its files on first use)."""
        found = self._keys.get(month)
        if found is None:
            parts = [
                pq.ParquetFile(f).read(columns=["okey"]).column("okey").to_numpy()
                for f in month_files(self.store.obs_dir / f"month={month}")
            ]
            with self._inflight_lock:
                inflight = [s.fresh[month] for s in self._inflight if month in s.fresh]
            parts += [table.column("okey").to_numpy() for table in inflight]
            found = self._keys[month] = KeySet(np.concatenate(parts) if parts else None)
            while len(self._keys) > KEY_MONTHS:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(month)
        return found

    def append(self, batch: Batch, received: int) -> AppendResult:
        """Store a normalised batch; return how many observations were new (once on disk)."""
        return self.commit(self.stage(batch, received))

    def stage(self, batch: Batch, received: int) -> Staged:
        """Write a normalised batch's files under temporary names; ``commit`` makes them durable.

        Column-wise over the whole batch (numpy and Arrow): at tens of thousands of observations
        per second a Python step per observation would cost more than writing them. The batch's
        keys count as stored from here on, so that the next batch can be staged while this one is
        committed (its fsyncs release the GIL): a failed ``commit`` forgets them all (see there)."""
        with self._keys_lock:
            return self._stage(batch)

    def _stage(self, batch: Batch) -> Staged:
        table = pa.table(
            {
                "datastream": pa.array(batch.datastream, pa.int32()),
                "time": pa.array(batch.time_us, pa.timestamp("us", tz="UTC")),
                "result": pa.array(batch.result, pa.float64()),
                "foi": pa.array(batch.foi, pa.int32()),
                "fcnt": pa.array(batch.fcnt, pa.int64()),
                "okey": pa.array(batch.key, pa.int64()),
            },
            schema=OBS_SCHEMA,
        )
        months, month_of_row = self._months(np.asarray(batch.time_us, dtype=np.int64))
        keys = np.asarray(batch.key, dtype=np.int64)
        rows, added = self._new_rows(keys, months, month_of_row)
        quarantine = [q for q in batch.quarantine if q["key"] is None or q["key"] not in self.quarantined_keys]
        staged = Staged(batch, len(rows), len(batch) - len(rows), quarantine)
        if len(rows):
            staged.written, staged.fresh = self._write_months(table, rows, months, month_of_row, staged.durable)
        self._write_side(quarantine, batch.events, staged.durable)
        for month, new in zip(months, added, strict=True):
            self.keys(month).add(new)
        self.quarantined_keys.update(q["key"] for q in quarantine if q["key"] is not None)
        with self._inflight_lock:
            self._inflight.append(staged)
        return staged

    def commit(self, staged: Staged) -> AppendResult:
        """Make a staged batch durable (see ``Durable``), then fold it into the aggregates.

        Batches are committed in the order they were staged. If this fails, the keys of what was
        staged are forgotten (read again from the files when next needed): a batch staged after
        this one may have left out repeats of it, so the caller must not commit that one either,
        nor acknowledge anything of either (the broker re-delivers them)."""
        try:
            staged.durable.commit()
        except BaseException:
            staged.durable.discard()
            self.forget()
            raise
        with self._inflight_lock:  # its files are on disk now: a month's keys read again hold them
            self._inflight = [s for s in self._inflight if s is not staged]
        if staged.written:
            upkeep.fold(self.db, self.store, staged.written, staged.fresh)
        self._count(staged.batch, staged.stored, staged.duplicates, staged.quarantine)
        return AppendResult(staged.stored, staged.duplicates, [q["reason"] for q in staged.quarantine])

    def _months(self, time_us: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The months of a batch, and the index in that list of each row's month."""
        days, day_of_row = np.unique(time_us // 86_400_000_000, return_inverse=True)
        names = [self._month(int(d) * 86_400_000_000) for d in days]
        months = sorted(set(names))
        month_of_day = np.array([months.index(n) for n in names], dtype=np.int64)
        return months, month_of_day[day_of_row] if len(days) else np.zeros(0, np.int64)

    def _new_rows(self, keys: np.ndarray, months: list[str], month_of_row: np.ndarray) -> tuple[np.ndarray, list[Keys]]:
        """Indices of the rows to store (the first of each key in the batch, if not already stored),
        and the keys these add to each month, sorted (looked up and merged in as such)."""
        distinct, first = np.unique(keys, return_index=True)
        month_of_key = month_of_row[first]
        new = np.ones(len(distinct), dtype=bool)
        added = []
        for m, month in enumerate(months):
            mine = np.flatnonzero(month_of_key == m) if len(months) > 1 else np.arange(len(distinct))
            found = self.keys(month).contains(distinct[mine])
            new[mine[found]] = False
            added.append(distinct[mine[~found]])
        rows = np.zeros(len(keys), dtype=bool)
        rows[first[new]] = True  # in batch order, without a sort
        return np.flatnonzero(rows), added

    def _write_months(
        self, table: pa.Table, rows: np.ndarray, months: list[str], month_of_row: np.ndarray, durable: Durable
    ) -> tuple[dict[str, list[str]], dict[str, pa.Table]]:
        """One file per month, sorted by datastream then time; also the new rows of each month."""
        month = month_of_row[rows]
        ds = table.column("datastream").to_numpy()[rows]
        time_us = table.column("time").cast(pa.int64()).to_numpy()[rows]
        order = np.lexsort((time_us, ds, month))
        month = month[order]
        ordered = table.take(pa.array(rows[order]))
        bounds = np.flatnonzero(np.diff(month) != 0) + 1
        written: dict[str, list[str]] = {}
        fresh: dict[str, pa.Table] = {}
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), len(order)], strict=True):
            name = months[int(month[start])]
            part = ordered.slice(start, end - start)
            path = self.store.obs_dir / f"month={name}" / f"part-{uuid.uuid4().hex}.parquet"
            durable.write(part, path, rows_metadata(part.column("datastream")), ROW_GROUP)
            written[name] = [path.name]
            fresh[name] = part
        return written, fresh

    def _write_side(self, quarantine: list[dict[str, Any]], events: list[dict[str, Any]], durable: Durable) -> None:
        if quarantine:
            rows = [{**q, "received": q["received_us"], "okey": q["key"]} for q in quarantine]
            table = pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA)
            durable.write(table, self.store.quarantine_dir / f"part-{uuid.uuid4().hex}.parquet")
        if events:
            rows = [{**e, "received": e["received_us"]} for e in events]
            durable.write(
                pa.Table.from_pylist(rows, schema=EVENTS_SCHEMA),
                self.store.events_dir / f"part-{uuid.uuid4().hex}.parquet",
            )

    def _count(self, batch: Batch, stored: int, duplicates: int, quarantine: list[dict[str, Any]]) -> None:
        s = self.stats
        s["uplinks"] = s.get("uplinks", 0) + batch.uplinks
        s["stored"] = s.get("stored", 0) + stored
        s["duplicates"] = s.get("duplicates", 0) + duplicates
        s["late"] = s.get("late", 0) + batch.late
        s["out_of_order"] = s.get("out_of_order", 0) + batch.out_of_order
        s["events"] = s.get("events", 0) + len(batch.events)
        reasons = s.setdefault("quarantined", {})
        for q in quarantine:
            reasons[q["reason"]] = reasons.get(q["reason"], 0) + 1
        # counters, not observations: not worth a second fsync per batch
        write_json(self.store.root / "stats.json", s, durable=False, sort_keys=True)

    def recover(self) -> None:
        """Repair what a crash left (``upkeep.recover``): folds, compactions, staged files."""
        upkeep.recover(self.db, self.store)

    def compact(self, min_files: int = COMPACT_AFTER) -> int:
        """Merge the small files of each month (``upkeep.compact``); return how many were merged."""
        return upkeep.compact(self.store, min_files)
