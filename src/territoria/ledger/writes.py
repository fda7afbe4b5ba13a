"""Every write to the record tables, one function per kind of write.

Records are written in their own short transactions, apart from the data they describe, so a
failed step still leaves its record; the state of a commit group (datasets, step state,
lineage) is the exception, written inside the group's transaction with the tables it built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from territoria.engines.base import Engine
from territoria.ledger.rows import FetchRow, RunClose, RunStart, StepRecord, now
from territoria.ledger.schema import META, arrow_schema

if TYPE_CHECKING:  # Arrow is imported by the first bulk write, not by ``import territoria.ledger``
    import pyarrow as pa


def arrow_rows(schema: pa.Schema, rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Rows (sequences in ``schema``'s column order) as an Arrow table."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_step_records(engine: Engine, records: Sequence[StepRecord]) -> None:
    """One Arrow append: a VALUES list costs the engine per value, and this runs once per commit."""
    if records:
        engine.append_arrow(f"{META}.step_runs", arrow_rows(arrow_schema("STEP_RUNS"), [rec.row() for rec in records]))


def write_fetch(engine: Engine, fetch: FetchRow, state: dict[str, Any], sha256: str | None) -> None:
    """A fetch and the source state it leaves, together: the next fetch starts from that state.
    ``changed_at`` moves only when the content changed."""
    write_fetches(engine, [(fetch, state, sha256, now())])


def write_fetches(engine: Engine, fetches: Sequence[tuple[FetchRow, dict[str, Any], str | None, datetime]]) -> None:
    """``write_fetch`` for several fetches (each with when it was checked), in one transaction
    of two statements: a run that finds every source unchanged commits once, not once per source."""
    if not fetches:
        return
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, ?::TIMESTAMP)"] * len(fetches))
    states = ", ".join(["(?, ?::JSON, ?, ?::TIMESTAMP, ?)"] * len(fetches))
    with engine.transaction():
        engine.execute(f"INSERT INTO {META}.fetches VALUES {rows}", [v for f, *_ in fetches for v in f.row()])
        engine.execute(
            f"INSERT OR REPLACE INTO {META}.source_state "
            "SELECT v.dataset, v.state, v.sha256, v.checked_at, "
            "coalesce(CASE WHEN v.changed THEN v.checked_at END, s.changed_at) "
            f"FROM (VALUES {states}) v(dataset, state, sha256, checked_at, changed) "
            f"LEFT JOIN {META}.source_state s USING (dataset)",
            [v for f, state, sha, at in fetches for v in (f.dataset, json.dumps(state), sha, at, f.changed)],
        )


def start_run(engine: Engine, run: RunStart) -> None:
    engine.execute(
        f"INSERT INTO {META}.runs (run_id, started_at, status, command, steps_total) VALUES (?, ?, 'running', ?, ?)",
        list(run),
    )


def close_run(engine: Engine, close: RunClose) -> None:
    engine.execute(
        f"UPDATE {META}.runs SET ended_at = ?, status = ?, steps_run = ?, steps_skipped = ?, steps_failed = ?, "
        "wall_s = ?, cpu_s = ?, error = ?, footprint = ? WHERE run_id = ?",
        [*close[1:9], json.dumps(close.footprint, default=str), close.run_id],
    )


def write_state(
    engine: Engine,
    datasets: Iterable[Sequence[Any]],
    step_states: Iterable[Sequence[Any]],
    lineage: Iterable[Sequence[Any]],
) -> None:
    """Dataset state and step state (replacing by key) and lineage edges (appended): rows of
    ``DatasetRow``, ``StepStateRow`` and ``LineageRow`` shape, three Arrow appends in all."""
    for table, schema, rows, replace in (
        ("datasets", arrow_schema("DATASETS"), list(datasets), True),
        ("step_state", arrow_schema("STEP_STATE"), list(step_states), True),
        ("lineage", arrow_schema("LINEAGE"), list(lineage), False),
    ):
        if rows:
            engine.append_arrow(f"{META}.{table}", arrow_rows(schema, rows), replace=replace)


def forget_steps(engine: Engine, steps: Iterable[str]) -> None:
    """Forget the input keys of ``steps``: the next run runs them whatever changed (an operator
    reset what they decide from, e.g. a dataset's secrecy memory)."""
    for step in steps:
        engine.execute(f"DELETE FROM {META}.step_state WHERE step = ?", [step])


__all__ = [
    "arrow_rows",
    "close_run",
    "forget_steps",
    "start_run",
    "write_fetch",
    "write_fetches",
    "write_state",
    "write_step_records",
]
