"""The ``_territoria`` schema of a store: every record table, declared here and nowhere else.

The layouts and column orders are a contract: stores written by earlier versions must open,
and publication snapshots copy these tables as they are (``SELECT *``), so a reordered column
would change the bytes of every snapshot. A new column goes at the end, with an ``ALTER``
for the stores that predate it.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from territoria.engines.base import Engine

if TYPE_CHECKING:  # Arrow is imported when a record is written, not when the ledger is imported
    import pyarrow as pa

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

#: the secrecy suppression report (``suppressions.py``): one row per protected dataset, its
#: cells in a typed table of their own. Created on the first guarded publication only, so a
#: store without secrecy keeps the tables it always had.
REPORTS = f"{META}.secrecy_reports"
REPORTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {REPORTS} (dataset VARCHAR, ruleset VARCHAR, recorded_at TIMESTAMP, "
    "cells_table VARCHAR, keys JSON, rules JSON)"
)
#: the report before: the dataset's publication before the last one whose suppressed cells
#: differ, or the report ``territoria secrecy forget`` set aside (same layout, its cells in
#: ``secrecy_previous_<dataset>``). Read by the audit across publications, never remembered.
PREVIOUS = f"{META}.secrecy_previous"
PREVIOUS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {PREVIOUS} (dataset VARCHAR, ruleset VARCHAR, recorded_at TIMESTAMP, "
    "cells_table VARCHAR, keys JSON, rules JSON)"
)
#: the report's former shape, one row per cell with its key as JSON (dataset, ruleset,
#: recorded_at, cell JSON, status VARCHAR, rules VARCHAR[], protects JSON): stores written
#: before keep it, read until the dataset's next publication replaces its rows
SUPPRESSIONS = f"{META}.secrecy_suppressions"

#: every record table of the schema (a test checks that a fresh store holds nothing else;
#: the cells tables of the suppression report, ``secrecy_cells_<dataset>``, come with it)
TABLES = (
    "runs",
    "step_runs",
    "datasets",
    "step_state",
    "source_state",
    "fetches",
    "lineage",
    "secrecy_reports",
    "secrecy_previous",
)

#: the tables ``DDL`` creates (the report tables are created on demand)
_CREATED = frozenset(TABLES) - {"secrecy_reports", "secrecy_previous"}

#: the tables appended to in bulk, as Arrow (a test keeps them equal to the DDL's column order);
#: built on first use (``STEP_RUNS``, ``DATASETS``, ``STEP_STATE``, ``LINEAGE`` are module attributes)
ARROW_TABLES = ("STEP_RUNS", "DATASETS", "STEP_STATE", "LINEAGE")
_ARROW: dict[str, pa.Schema] = {}


def _arrow_schemas() -> dict[str, pa.Schema]:
    import pyarrow as pa

    text, integer, real, stamp = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us")
    return {
        "STEP_RUNS": pa.schema(
            [(c, text) for c in ("run_id", "step", "kind", "status", "reason")]
            + [("started_at", stamp), ("ended_at", stamp), ("input_key", text), ("definition_hash", text)]
            + [("inputs", text), ("outputs", text)]
            + [(c, integer) for c in ("rows_in", "rows_out", "rows_quarantined", "bytes_read", "bytes_written")]
            + [("wall_s", real), ("cpu_s", real), ("peak_rss_bytes", integer)]
            + [("report", text), ("error", text), ("footprint", text)]
        ),
        "DATASETS": pa.schema(
            [(c, text) for c in ("name", "layer", "table_schema", "table_name", "content_hash")]
            + [("rows", integer), ("updated_at", stamp), ("run_id", text), ("step", text)]
        ),
        "STEP_STATE": pa.schema([("step", text), ("input_key", text), ("run_id", text), ("updated_at", stamp)]),
        "LINEAGE": pa.schema([(c, text) for c in ("run_id", "step", "source", "target")] + [("recorded_at", stamp)]),
    }


def arrow_schema(name: str) -> pa.Schema:
    """The Arrow layout of a record table appended in bulk (one of ``ARROW_TABLES``)."""
    if not _ARROW:
        _ARROW.update(_arrow_schemas())
    return _ARROW[name]


def __getattr__(name: str) -> pa.Schema:
    if name in ARROW_TABLES:
        return arrow_schema(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def has_table(engine: Engine, table: str) -> bool:
    """Whether the record table ``table`` exists in the store: certain for the tables of ``DDL``
    once ``ensure_meta`` ran on this engine, asked of the catalog otherwise (a store no run has
    opened, a read-only one). The catalog query costs milliseconds on a store of many tables,
    and the reads of a run ask it several times."""
    return (engine in _READY and table in _CREATED) or engine.table_exists(META, table)


def ensure_reports(engine: Engine) -> None:
    """The suppression report tables, which a guard may need before any run opened the records."""
    engine.ensure_schema(META)
    engine.execute(REPORTS_DDL)
    engine.execute(PREVIOUS_DDL)


__all__ = [  # noqa: F822 - the Arrow layouts are built on first access (module ``__getattr__``)
    "ARROW_TABLES",
    "DATASETS",
    "DDL",
    "LINEAGE",
    "META",
    "PREVIOUS",
    "REPORTS",
    "STEP_RUNS",
    "STEP_STATE",
    "SUPPRESSIONS",
    "TABLES",
    "arrow_schema",
    "ensure_meta",
    "ensure_reports",
    "has_table",
]
