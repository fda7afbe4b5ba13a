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

import os

from territoria.engines.base import Engine
from territoria.ledger.schema import META, has_table

#: one run's checkpoint in this many merges the small row groups the others left
COMPACT_EVERY = 32

#: a checkpoint with less than this much to move from the WAL runs on the calling thread alone
SMALL_WAL_BYTES = 16 * 1024**2


def checkpoint(engine: Engine) -> None:
    """Checkpoint a DuckDB store (nothing to do on the other engines), merging small row groups
    only when the number of runs recorded is a multiple of ``COMPACT_EVERY`` (or unknown).

    A small checkpoint runs on the calling thread alone (``threads = 1`` for its duration): a
    ``CHECKPOINT`` statement runs on one of DuckDB's worker threads while the calling thread polls
    for it (taking the connection's lock and Python's GIL in a loop), which cost twice the
    checkpoint's own CPU time and, on a busy machine, a core the worker needed. With two threads
    or fewer, the worker that runs it was its only worker anyway; with more, a large WAL keeps
    them all."""
    if engine.capabilities.sql_dialect != "duckdb":
        return
    runs = int(engine.fetch_all(f"SELECT count(*) FROM {META}.runs")[0][0]) if has_table(engine, "runs") else 0
    vacuum, threads = engine.fetch_all("SELECT current_setting('max_vacuum_tasks'), current_setting('threads')")[0]
    settings = {} if runs % COMPACT_EVERY == 0 else {"max_vacuum_tasks": 0}
    if int(threads) > 1 and (int(threads) <= 2 or _wal_bytes(engine) < SMALL_WAL_BYTES):
        settings["threads"] = 1
    before = {"max_vacuum_tasks": int(vacuum), "threads": int(threads)}
    applied: list[str] = []
    try:
        for name, value in settings.items():
            engine.execute(f"SET {name} = {value}")
            applied.append(name)
        engine.execute("CHECKPOINT")
    finally:
        # a setting made before one that failed comes back too: a long-lived process (`territoria
        # up`) would otherwise keep one thread, or never merge row groups, for the rest of its life
        for name in applied:
            engine.execute(f"SET {name} = {before[name]}")


def _wal_bytes(engine: Engine) -> int:
    """The size of the store's WAL (0 for an in-memory store or when there is none)."""
    path = getattr(engine, "path", None)
    try:
        return os.stat(f"{path}.wal").st_size if path is not None else 0
    except OSError:
        return 0


__all__ = ["COMPACT_EVERY", "checkpoint"]
