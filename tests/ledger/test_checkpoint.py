"""The checkpoint after a run leaves the runs' small row groups alone, and merges them one run in
``COMPACT_EVERY`` (``ledger/checkpoint.py``): nothing lost, the layout bounded."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from territoria import ledger
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.ledger import COMPACT_EVERY, META, RunStart, StepRecord

#: the module (``ledger.checkpoint`` is its function)
checkpoint_module = importlib.import_module("territoria.ledger.checkpoint")
T0 = datetime(2026, 3, 1, 12, 0, 0)
STEPS = 5


def _row_groups(engine: DuckDBEngine, table: str) -> int:
    sql = f"SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('{META}.{table}')"
    return int(engine.fetch_all(sql)[0][0])


def _run(engine: DuckDBEngine, n: int) -> None:
    """What a run leaves in the history tables: its ``runs`` row and one record per step, then the checkpoint."""
    run_id = f"r{n:03d}"
    at = T0 + timedelta(minutes=n)
    ledger.start_run(engine, RunStart(run_id, at, "run", STEPS))
    records = [StepRecord(run_id, f"model:m_{i}", "model", status="success", started_at=at) for i in range(STEPS)]
    for k, rec in enumerate(records):
        rec.input_key = f"{n:032x}{k:032x}"  # distinct, as real keys are
    ledger.write_step_records(engine, records)
    ledger.checkpoint(engine)


def test_runs_between_compactions_keep_their_row_groups_and_the_compaction_merges_them(tmp_path: Path) -> None:
    engine = open_duckdb(tmp_path)
    ledger.ensure_meta(engine)
    vacuum = engine.fetch_all("SELECT current_setting('max_vacuum_tasks')")[0][0]
    for n in range(1, COMPACT_EVERY):
        _run(engine, n)
    # no merge yet: one row group per run (what a plain checkpoint would have rewritten each time)
    assert _row_groups(engine, "step_runs") == COMPACT_EVERY - 1
    _run(engine, COMPACT_EVERY)  # the compacting run
    assert _row_groups(engine, "step_runs") == 1
    for n in range(COMPACT_EVERY + 1, COMPACT_EVERY + 4):
        _run(engine, n)
    assert _row_groups(engine, "step_runs") == 4
    # the session's setting is as it was, and every record is there, after a reopen too
    assert engine.fetch_all("SELECT current_setting('max_vacuum_tasks')")[0][0] == vacuum
    engine.close()
    engine = open_duckdb(tmp_path)
    runs = COMPACT_EVERY + 3
    assert len(ledger.recent_runs(engine, limit=100)) == runs
    assert all(len(ledger.run_steps(engine, f"r{n:03d}")) == STEPS for n in range(1, runs + 1))
    engine.close()


def test_a_store_without_records_is_checkpointed_whole(tmp_path: Path) -> None:
    engine = open_duckdb(tmp_path)
    engine.execute("CREATE TABLE t AS SELECT 1 AS x")
    ledger.checkpoint(engine)  # no ``runs`` table: the plain checkpoint
    engine.close()
    assert not (tmp_path / "store.duckdb.wal").exists()


class _Recording(DuckDBEngine):
    """The real engine, keeping the statements it was given."""

    def __init__(self, path: Path, threads: int) -> None:
        super().__init__(path / "store.duckdb", threads=threads)
        self.statements: list[str] = []

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.statements.append(sql)
        super().execute(sql, params)


def _threads(engine: DuckDBEngine) -> int:
    return int(engine.fetch_all("SELECT current_setting('threads')")[0][0])


def test_a_small_checkpoint_runs_on_the_calling_thread_and_the_setting_comes_back(tmp_path: Path) -> None:
    """A CHECKPOINT statement runs on a worker thread while the caller polls for it: a small one
    runs on the caller alone (``threads = 1`` around it), the session's setting restored after."""
    engine = _Recording(tmp_path, threads=2)
    ledger.ensure_meta(engine)
    _run(engine, 1)
    said = engine.statements
    assert said.index("SET threads = 1") < said.index("CHECKPOINT") < said.index("SET threads = 2")
    assert _threads(engine) == 2
    engine.close()


def test_a_large_checkpoint_keeps_more_than_two_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint_module, "SMALL_WAL_BYTES", 0)  # any WAL is large
    engine = _Recording(tmp_path, threads=4)
    ledger.ensure_meta(engine)
    _run(engine, 1)
    assert "CHECKPOINT" in engine.statements
    assert not [s for s in engine.statements if s.startswith("SET threads")]
    assert _threads(engine) == 4
    engine.close()


class _RefusingThreads(_Recording):
    """The real engine, refusing to change its threads (as a failed ``SET`` would)."""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        if sql == "SET threads = 1":
            raise duckdb.InvalidInputException("threads refused")
        super().execute(sql, params)


def test_a_setting_made_before_one_that_failed_comes_back(tmp_path: Path) -> None:
    engine = _RefusingThreads(tmp_path, threads=2)
    ledger.ensure_meta(engine)
    vacuum = engine.fetch_all("SELECT current_setting('max_vacuum_tasks')")[0][0]
    with pytest.raises(duckdb.InvalidInputException):
        _run(engine, 1)  # one run: not a compaction, so max_vacuum_tasks = 0 is set first
    assert "SET max_vacuum_tasks = 0" in engine.statements and "CHECKPOINT" not in engine.statements
    assert engine.fetch_all("SELECT current_setting('max_vacuum_tasks')")[0][0] == vacuum
    assert _threads(engine) == 2
    engine.close()
