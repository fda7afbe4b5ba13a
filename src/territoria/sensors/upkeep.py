"""The sensor store's upkeep: the hourly aggregates folded in, what a crash left repaired, and
the small observation files compacted (``sensors/store.py`` writes the batches).

Each month's hourly aggregates record, in their Parquet metadata (``FOLDED``), which observation
files they already contain: a file is folded in once, even when a crash came between writing it
and folding it (``recover`` folds it at the next open), and a compaction names its merged file
there instead of the parts it replaces, so the aggregates never miss nor double-count one.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from territoria.core.jsonfile import drop_stale_temps
from territoria.sensors.durable import Durable, write_atomic
from territoria.sensors.obslayout import (
    HOURLY_SCHEMA,
    OBS_SCHEMA,
    REPLACES,
    ROW_GROUP,
    folded_name,
    month_files,
    month_of,
    path_of,
    read_table,
    relative_name,
    rows_metadata,
)

if TYPE_CHECKING:  # the store calls in here: its type only, for the annotations
    from territoria.sensors.store import SensorStore

FOLDED = b"territoria.folded"
COMPACT_AFTER = 8


def folded_in(path: Path) -> set[str]:
    """The observation files a month's hourly aggregates already contain."""
    meta = pq.read_schema(path).metadata or {}
    return set(json.loads(meta.get(FOLDED, b"[]")))


def fold(
    db: duckdb.DuckDBPyConnection,
    store: SensorStore,
    written: dict[str, list[str]],
    fresh: dict[str, pa.Table] | None = None,
) -> None:
    """Add the hourly sums of newly written observation files to their month's aggregates.

    ``fresh`` holds, per month, the rows of those files as just written: summed from memory
    rather than read back from the (many small) files."""
    durable = Durable()
    for month, names in written.items():
        path = store.hourly_dir / f"month={month}.parquet"
        folded = folded_in(path) if path.exists() else set()
        todo = [n for n in names if n not in folded]
        if not todo:
            continue
        files = [str(path_of(store.obs_dir / f"month={month}", n)) for n in todo]
        previous = f"SELECT * FROM read_parquet('{path}')" if path.exists() else "SELECT * FROM _empty_hourly"
        db.register("_empty_hourly", HOURLY_SCHEMA.empty_table())
        rows = "read_parquet(?)"
        if fresh is not None and month in fresh and len(todo) == len(names):
            db.register("_fresh", fresh[month])
            rows, files = "_fresh", []
        merged = db.execute(
            f"""
            -- sums of readings are added as decimals: exact, whatever the order (the thread count)
            SELECT datastream, hour, sum(n)::BIGINT AS n, sum(sum::DECIMAL(38, 9))::DOUBLE AS sum,
                   min(min) AS min, max(max) AS max
            FROM (
                {previous}
                UNION ALL
                -- hours floored by integer arithmetic: date_trunc on a TIMESTAMPTZ goes through ICU, slow
                SELECT datastream, make_timestamptz(hour_us), n, sum, min, max FROM (
                    SELECT datastream, epoch_us(time) - (epoch_us(time) % 3600000000 + 3600000000) % 3600000000
                           AS hour_us, count(*) AS n, sum(result::DECIMAL(38, 9)) AS sum, min(result) AS min,
                           max(result) AS max
                    FROM {rows} GROUP BY ALL
                )
            ) GROUP BY ALL ORDER BY datastream, hour
            """,
            [files] if files else [],
        ).to_arrow_table()
        db.unregister("_empty_hourly")
        if rows == "_fresh":
            db.unregister("_fresh")
        durable.write(merged.cast(HOURLY_SCHEMA), path, {FOLDED: json.dumps(sorted(folded | set(todo))).encode()})
    durable.commit()


def recover(db: duckdb.DuckDBPyConnection, store: SensorStore) -> None:
    """Fold observation files a crash left out of the aggregates; finish interrupted compactions;
    remove the temporary files of batches staged but never committed (they were not
    acknowledged: the broker delivers them again), and those of counters a killed writer left
    (``stats.json``'s: ``drop_stale_temps``)."""
    for d in (store.obs_dir, store.hourly_dir, store.quarantine_dir, store.events_dir):
        for tmp in d.rglob(".*.parquet.tmp"):
            tmp.unlink(missing_ok=True)
    drop_stale_temps(store.root)
    for month_dir in store.obs_dir.glob("month=*"):
        for compacted in month_dir.glob("**/compact-*.parquet"):
            meta = pq.read_schema(compacted).metadata or {}
            parts = [compacted.parent / name for name in json.loads(meta.get(REPLACES, b"[]"))]
            record_merged(store, month_dir, parts, compacted)
            for part in parts:
                part.unlink(missing_ok=True)
    pending: dict[str, list[str]] = {}
    folded_by_month: dict[str, set[str]] = {}
    for f in store.obs_files():
        month = month_of(f).name.removeprefix("month=")
        if month not in folded_by_month:
            path = store.hourly_dir / f"month={month}.parquet"
            folded_by_month[month] = folded_in(path) if path.exists() else set()
        if folded_name(f) not in folded_by_month[month]:
            pending.setdefault(month, []).append(folded_name(f))
    if pending:
        fold(db, store, pending)


def compact(store: SensorStore, min_files: int = COMPACT_AFTER) -> int:
    """Merge the small files of each month; return how many were merged.

    Batch parts are merged once there are ``min_files`` of them, with the month's earlier
    compacted files when those would then reach ``min_files`` too: each batch's rows are
    rewritten a few times (logarithmically), not at every compaction."""
    merged = 0
    for month_dir in sorted(store.obs_dir.glob("month=*")):
        files = month_files(month_dir)
        compacts = [f for f in files if f.parent == month_dir and f.name.startswith("compact-")]
        parts = [f for f in files if f not in compacts]
        if len(parts) >= min_files:
            chosen = parts + (compacts if len(compacts) + 1 >= min_files else [])
        elif len(compacts) >= min_files:
            chosen = compacts
        else:
            continue
        _merge(store, month_dir, chosen)
        merged += len(chosen)
    return merged


def _merge(store: SensorStore, month_dir: Path, parts: list[Path]) -> None:
    table = read_table(parts, OBS_SCHEMA).sort_by([("datastream", "ascending"), ("time", "ascending")])
    target = month_dir / f"compact-{uuid.uuid4().hex}.parquet"
    # The compacted file names the parts it replaces: if we die before deleting them, the next
    # open deletes them (see ``recover``), and readers meanwhile leave them out.
    replaces = {REPLACES: json.dumps([relative_name(p) for p in parts]).encode()}
    write_atomic(table, target, {**rows_metadata(table.column("datastream")), **replaces}, ROW_GROUP)
    record_merged(store, month_dir, parts, target)
    for p in parts:
        p.unlink()
        if p.parent != month_dir:
            with contextlib.suppress(OSError):
                p.parent.rmdir()  # a legacy per-datastream directory, empty once merged


def record_merged(store: SensorStore, month_dir: Path, parts: list[Path], target: Path) -> None:
    """The aggregates already hold the merged parts: name ``target`` instead of them in their
    record, data unchanged. Also at open, for a compaction that died before this step: its
    merged file, not recorded, would otherwise be folded in a second time."""
    agg = store.hourly_dir / f"{month_dir.name}.parquet"
    if not agg.exists():
        return
    folded = folded_in(agg)
    names = {folded_name(p) for p in parts}
    if names.isdisjoint(folded):
        return  # recorded already (or the parts were never folded: the open folds the target)
    renamed = (folded - names) | {folded_name(target)}
    write_atomic(pq.read_table(agg), agg, {FOLDED: json.dumps(sorted(renamed)).encode()})
