"""Where the observation files are, and what their footers say about them.

One file per batch and month (``obs/month=2025-07/part-<uuid>.parquet``), sorted by datastream
then time, in row groups small enough that a read of one datastream skips the others by their
min/max statistics. Writing one file per batch rather than one per (month, datastream) is what
makes a durable batch cheap: one file to create and fsync instead of hundreds.

Each file's metadata holds its row count per datastream (``territoria.rows``), so that the
SensorThings API counts and pages Observations from footers without a scan. Stores written
before this layout have one directory per datastream (``month=…/datastream=12/…``): they are
still read (the directory names the datastream) and compaction merges them into the new layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = b"territoria.rows"
REPLACES = b"territoria.replaces"
#: rows per Parquet row group: a datastream's month (4,464 ten-minute readings) spans one or two
ROW_GROUP = 32_768
LEGACY_DIR = "datastream="

#: the store's files: observations, hourly aggregates, quarantined messages, ChirpStack events
OBS_SCHEMA = pa.schema(
    [
        ("datastream", pa.int32()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("result", pa.float64()),
        ("foi", pa.int32()),
        ("fcnt", pa.int64()),
        ("okey", pa.int64()),
    ]
)
HOURLY_SCHEMA = pa.schema(
    [
        ("datastream", pa.int32()),
        ("hour", pa.timestamp("us", tz="UTC")),
        ("n", pa.int64()),
        ("sum", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("received", pa.timestamp("us", tz="UTC")),
        ("topic", pa.string()),
        ("dev_eui", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("payload", pa.string()),
        ("payload_bytes", pa.int64()),
        ("okey", pa.int64()),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        ("received", pa.timestamp("us", tz="UTC")),
        ("dev_eui", pa.string()),
        ("event", pa.string()),
        ("time", pa.string()),
        ("battery_level", pa.float64()),
        ("margin", pa.int64()),
        ("level", pa.string()),
        ("code", pa.string()),
        ("description", pa.string()),
    ]
)


def month_files(month_dir: Path) -> list[Path]:
    """The observation files of one month directory (this layout's, then any legacy ones)."""
    return sorted(month_dir.glob("*.parquet")) + sorted(month_dir.glob(f"{LEGACY_DIR}*/*.parquet"))


def month_of(path: Path) -> Path:
    """The ``month=…`` directory holding an observation file."""
    return path.parent.parent if path.parent.name.startswith(LEGACY_DIR) else path.parent


def folded_name(path: Path) -> str:
    """The name under which the hourly aggregates record an observation file as folded in
    (``12/part-….parquet`` for a legacy per-datastream file, as stores of that layout wrote it)."""
    if path.parent.name.startswith(LEGACY_DIR):
        return f"{path.parent.name.removeprefix(LEGACY_DIR)}/{path.name}"
    return path.name


def path_of(month_dir: Path, name: str) -> Path:
    """The observation file that the aggregates record as ``name`` (see ``folded_name``)."""
    stream, _, file = name.rpartition("/")
    return month_dir / f"{LEGACY_DIR}{stream}" / file if stream else month_dir / name


def relative_name(path: Path) -> str:
    """The path of an observation file from its month directory (what a compacted file's
    ``territoria.replaces`` lists)."""
    return path.relative_to(month_of(path)).as_posix()


def rows_metadata(datastream: pa.ChunkedArray | pa.Array) -> dict[bytes, bytes]:
    """The per-datastream row counts of a file's rows, for its footer."""
    streams, counts = np.unique(np.asarray(datastream), return_counts=True)
    return {ROWS: json.dumps({str(int(s)): int(n) for s, n in zip(streams, counts, strict=True)}).encode()}


def read_counts(path: Path) -> tuple[dict[int, int], frozenset[str]] | None:
    """Rows per datastream and names of the replaced parts, from the footer (None: the file is
    gone, deleted by a compaction since it was listed)."""
    try:
        meta = pq.read_metadata(path)
    except FileNotFoundError:
        return None
    kv = meta.metadata or {}
    replaces = frozenset(json.loads(kv[REPLACES])) if REPLACES in kv else frozenset()
    if ROWS in kv:
        return {int(k): int(v) for k, v in json.loads(kv[ROWS]).items()}, replaces
    if path.parent.name.startswith(LEGACY_DIR):
        return {int(path.parent.name.removeprefix(LEGACY_DIR)): meta.num_rows}, replaces
    try:  # no counts in the footer (not written by territoria): count once
        column = pq.read_table(path, columns=["datastream"]).column("datastream")
    except FileNotFoundError:
        return None
    streams, counts = np.unique(column.to_numpy(), return_counts=True)
    return {int(s): int(n) for s, n in zip(streams, counts, strict=True)}, replaces


def read_table(files: Iterable[Path], schema: pa.Schema) -> pa.Table:
    tables = [pq.ParquetFile(p).read().cast(schema) for p in files]
    return pa.concat_tables(tables) if tables else schema.empty_table()
