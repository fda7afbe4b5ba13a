"""Run records, dataset state and lineage, kept in the store's ``_territoria`` schema.

Records are written in their own short transactions, apart from the data they describe, so a
failed step still leaves its record. A run that was killed keeps status ``running`` until the
next process marks it ``interrupted``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from territoria.engines.base import Engine

META = "_territoria"

DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {META}",
    f"""CREATE TABLE IF NOT EXISTS {META}.runs (
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR,
        command VARCHAR, steps_total INTEGER, steps_run INTEGER, steps_skipped INTEGER,
        steps_failed INTEGER, wall_s DOUBLE, cpu_s DOUBLE, error VARCHAR, footprint JSON)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.step_runs (
        run_id VARCHAR, step VARCHAR, kind VARCHAR, status VARCHAR, reason VARCHAR,
        started_at TIMESTAMP, ended_at TIMESTAMP, input_key VARCHAR, definition_hash VARCHAR,
        inputs JSON, outputs JSON, rows_in BIGINT, rows_out BIGINT, rows_quarantined BIGINT,
        bytes_read BIGINT, bytes_written BIGINT, wall_s DOUBLE, cpu_s DOUBLE, peak_rss_bytes BIGINT,
        report JSON, error VARCHAR, footprint JSON)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.datasets (
        name VARCHAR PRIMARY KEY, layer VARCHAR, table_schema VARCHAR, table_name VARCHAR,
        content_hash VARCHAR, rows BIGINT, updated_at TIMESTAMP, run_id VARCHAR, step VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.step_state (
        step VARCHAR PRIMARY KEY, input_key VARCHAR, run_id VARCHAR, updated_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.source_state (
        dataset VARCHAR PRIMARY KEY, state JSON, sha256 VARCHAR, checked_at TIMESTAMP, changed_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.fetches (
        run_id VARCHAR, dataset VARCHAR, kind VARCHAR, url VARCHAR, status VARCHAR, changed BOOLEAN,
        bytes BIGINT, sha256 VARCHAR, request JSON, headers JSON, fetched_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {META}.lineage (
        run_id VARCHAR, step VARCHAR, source VARCHAR, target VARCHAR, recorded_at TIMESTAMP)""",
    # stores created before the footprint meter existed
    f"ALTER TABLE {META}.runs ADD COLUMN IF NOT EXISTS footprint JSON",
    f"ALTER TABLE {META}.step_runs ADD COLUMN IF NOT EXISTS footprint JSON",
]


def now() -> datetime:
    """UTC, without tzinfo: stored as TIMESTAMP so every engine reads it back the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


_READY: weakref.WeakSet[Any] = weakref.WeakSet()


def ensure_meta(engine: Engine) -> None:
    """Create the record tables and close runs a killed process left ``running``.

    Done once per opened engine: later calls (lineage for every dataset of a snapshot, API
    requests) cost nothing, and a call made while this process is running a pipeline never
    marks that run as interrupted.
    """
    if engine in _READY:
        return
    for ddl in DDL:
        engine.execute(ddl)
    engine.execute(
        f"UPDATE {META}.runs SET status = 'interrupted', error = 'the process stopped before the run ended' "
        "WHERE status = 'running'"
    )
    _READY.add(engine)


@dataclass
class StepRecord:
    run_id: str
    step: str
    kind: str
    status: str = "running"
    reason: str = ""
    started_at: datetime = field(default_factory=now)
    ended_at: datetime | None = None
    input_key: str = ""
    definition_hash: str = ""
    inputs: dict[str, str | None] = field(default_factory=dict)
    outputs: dict[str, str | None] = field(default_factory=dict)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_bytes: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: energy and CO2e of the step with the method used (see territoria.footprint)
    footprint: dict[str, Any] = field(default_factory=dict)

    def row(self) -> list[Any]:
        """The record as a ``step_runs`` row (``STEP_RUNS`` column order)."""
        return [
            self.run_id,
            self.step,
            self.kind,
            self.status,
            self.reason,
            self.started_at,
            self.ended_at,
            self.input_key,
            self.definition_hash,
            json.dumps(self.inputs),
            json.dumps(self.outputs),
            self.rows_in,
            self.rows_out,
            self.rows_quarantined,
            self.bytes_read,
            self.bytes_written,
            self.wall_s,
            self.cpu_s,
            self.peak_rss_bytes,
            json.dumps(self.report, default=str),
            self.error,
            json.dumps(self.footprint, default=str),
        ]


_TEXT, _INT, _REAL, _STAMP = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us")
STEP_RUNS = pa.schema(
    [(c, _TEXT) for c in ("run_id", "step", "kind", "status", "reason")]
    + [("started_at", _STAMP), ("ended_at", _STAMP), ("input_key", _TEXT), ("definition_hash", _TEXT)]
    + [("inputs", _TEXT), ("outputs", _TEXT)]
    + [(c, _INT) for c in ("rows_in", "rows_out", "rows_quarantined", "bytes_read", "bytes_written")]
    + [("wall_s", _REAL), ("cpu_s", _REAL), ("peak_rss_bytes", _INT)]
    + [("report", _TEXT), ("error", _TEXT), ("footprint", _TEXT)]
)
#: the state and lineage tables the runner appends to once per commit (``pipelines/group.py``)
DATASETS = pa.schema(
    [(c, _TEXT) for c in ("name", "layer", "table_schema", "table_name", "content_hash")]
    + [("rows", _INT), ("updated_at", _STAMP), ("run_id", _TEXT), ("step", _TEXT)]
)
STEP_STATE = pa.schema([("step", _TEXT), ("input_key", _TEXT), ("run_id", _TEXT), ("updated_at", _STAMP)])
LINEAGE = pa.schema([(c, _TEXT) for c in ("run_id", "step", "source", "target")] + [("recorded_at", _STAMP)])


def arrow_rows(schema: pa.Schema, rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Rows (sequences in ``schema``'s column order) as an Arrow table."""
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def insert_many(engine: Engine, records: list[StepRecord]) -> None:
    """One Arrow append: a VALUES list costs the engine per value, and this runs once per commit."""
    if records:
        engine.append_arrow(f"{META}.step_runs", arrow_rows(STEP_RUNS, [rec.row() for rec in records]))


def dataset_hashes(engine: Engine) -> dict[str, str]:
    return {r[0]: r[1] for r in engine.fetch_all(f"SELECT name, content_hash FROM {META}.datasets")}


def step_keys(engine: Engine) -> dict[str, str]:
    return {r[0]: r[1] for r in engine.fetch_all(f"SELECT step, input_key FROM {META}.step_state")}


def source_state(engine: Engine, dataset: str) -> dict[str, Any] | None:
    rows = engine.fetch_all(f"SELECT state FROM {META}.source_state WHERE dataset = ?", [dataset])
    return json.loads(rows[0][0]) if rows else None
