"""The checkpoint after a run: what was committed moves from DuckDB's WAL into the store file.

Why it is not a plain ``CHECKPOINT``: DuckDB (1.4 and later) writes each commit's appends to a
table already on disk as a new row group, and its checkpoint then merges ("vacuums") trailing
row groups while they hold fewer than 2,048 rows together, decompressing and compressing them
again. The history tables of the ledger (``step_runs``, ``lineage``) get one small append per
run, so every run's checkpoint rewrote the last ~2,048 records of each, all 22 columns of a step
record: a cost that grows with the steps of a run and the age of the store, and that measured
more than the run's own records (``bench/orchestration.py``, docs/operations.md).

So the checkpoint after a run leaves the row groups the runs appended as they are, and one run
in ``COMPACT_EVERY`` lets DuckDB merge them: between two compactions a history table holds at
most that many small row groups more, which its readers scan at no measurable cost. Durability
is the same either way: a checkpoint moves committed data, the merge only changes its layout.
"""

from __future__ import annotations

from territoria.engines.base import Engine
from territoria.ledger.schema import META, has_table

#: one run's checkpoint in this many merges the small row groups the others left
COMPACT_EVERY = 32


def checkpoint(engine: Engine) -> None:
    """Checkpoint a DuckDB store (nothing to do on the other engines), merging small row groups
    only when the number of runs recorded is a multiple of ``COMPACT_EVERY`` (or unknown)."""
    if engine.capabilities.sql_dialect != "duckdb":
        return
    runs = int(engine.fetch_all(f"SELECT count(*) FROM {META}.runs")[0][0]) if has_table(engine, "runs") else 0
    if runs % COMPACT_EVERY == 0:
        engine.execute("CHECKPOINT")
        return
    before = engine.fetch_all("SELECT current_setting('max_vacuum_tasks')")[0][0]
    engine.execute("SET max_vacuum_tasks = 0")
    try:
        engine.execute("CHECKPOINT")
    finally:
        engine.execute(f"SET max_vacuum_tasks = {int(before)}")


__all__ = ["COMPACT_EVERY", "checkpoint"]
