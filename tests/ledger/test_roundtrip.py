"""Each write of the ledger, read back through the ledger's reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from territoria import ledger
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.ledger import DatasetRow, FetchRow, LineageRow, RunClose, RunStart, StepRecord, StepStateRow

T0 = datetime(2026, 3, 1, 12, 0, 0)


def test_a_run_is_opened_then_closed(engine: DuckDBEngine) -> None:
    ledger.start_run(engine, RunStart("r1", T0, "run", 4))
    assert ledger.recent_runs(engine)[0][:5] == ("r1", T0, "running", "run", 4)
    close = RunClose("r1", T0 + timedelta(seconds=3), "failed", 2, 1, 1, 3.0, 1.5, "boom", {"method": "estimated"})
    ledger.close_run(engine, close)
    (run,) = ledger.recent_runs(engine)
    assert run[2:] == ("failed", "run", 4, 2, 1, 1, 3.0, 1.5, "boom")
    (hist,) = ledger.run_history(engine)
    assert hist["footprint"] == {"method": "estimated"} and hist["steps_skipped"] == 1


def test_step_records_round_trip(engine: DuckDBEngine) -> None:
    ok = StepRecord("r1", "model:a", "model", status="success", started_at=T0, footprint={"energy_wh": 2})
    ok.report = {"rows": 3}
    failed = StepRecord("r2", "model:a", "model", status="failed", started_at=T0 + timedelta(hours=1), error="x")
    ledger.write_step_records(engine, [ok, failed])
    ledger.write_step_records(engine, [])  # nothing to write is not an error
    assert ledger.last_step_status(engine) == {"model:a": "failed"}
    assert ledger.last_real_costs(engine) == {"model:a": {"run_id": "r1", "energy_wh": 2}}
    assert [s["report"] for s in ledger.run_steps(engine, "r1")] == [{"rows": 3}]
    history = ledger.step_history(engine)
    assert [(h["run_id"], h["status"], h["footprint"]) for h in history] == [
        ("r1", "success", {"energy_wh": 2}),
        ("r2", "failed", {}),
    ]
    # since a later date: the latest record and the latest success of each step stay
    assert len(ledger.step_history(engine, since=T0 + timedelta(days=1))) == 2


def _fetch(run_id: str, changed: bool, sha: str, at: str) -> FetchRow:
    return FetchRow(run_id, "pop", "http", "https://x/pop.csv", "200", changed, 10, sha, {"q": 1}, {"etag": "e"}, at)


def test_a_fetch_moves_the_source_state_and_changed_at_only_on_change(engine: DuckDBEngine) -> None:
    ledger.write_fetch(engine, _fetch("r1", True, "aaa", "2026-03-01T12:00:00+00:00"), {"etag": "e1"}, "aaa")
    (_, first_changed) = ledger.source_changes(engine)["pop"]
    ledger.write_fetch(engine, _fetch("r2", False, "aaa", "2026-03-02T12:00:00+00:00"), {"etag": "e2"}, "aaa")
    checked, changed = ledger.source_changes(engine)["pop"]
    assert changed == first_changed and checked is not None and checked >= changed
    assert ledger.source_state(engine, "pop") == {"etag": "e2"}
    assert ledger.source_state(engine, "other") is None
    assert ledger.source_states(engine) == {"pop": {"etag": "e2"}}  # every source's, in one read
    assert ledger.source_checks(engine)["pop"][1] == "aaa"
    assert [(d, s, at.day) for d, s, at in ledger.fetch_history(engine)] == [("pop", "aaa", 2), ("pop", "aaa", 1)]
    ledger.write_fetch(engine, _fetch("r3", True, "bbb", "2026-03-03T12:00:00+00:00"), {}, "bbb")
    assert ledger.source_changes(engine)["pop"][1] > changed  # type: ignore[operator]


def test_group_state_replaces_by_key_and_appends_lineage(engine: DuckDBEngine) -> None:
    def state(digest: str, run: str, at: datetime) -> None:
        ledger.write_state(
            engine,
            [DatasetRow("staging.pop", "staging", "staging", "pop", digest, 3, at, run, "ingest:pop")],
            [StepStateRow("ingest:pop", "key-" + run, run, at)],
            [LineageRow(run, "ingest:pop", f"landing:{digest}", "staging.pop", at)],
        )

    state("aaa", "r1", T0)
    state("bbb", "r2", T0 + timedelta(minutes=1))
    ledger.write_state(engine, [], [], [])
    assert ledger.dataset_hashes(engine) == {"staging.pop": "bbb"}
    assert ledger.dataset_states(engine) == {"staging.pop": ("bbb", 3, T0 + timedelta(minutes=1))}
    assert ledger.step_keys(engine) == {"ingest:pop": "key-r2"}
    assert ledger.raw_origins(engine) == {"staging.pop": "landing:bbb"}
    assert ledger.current_inputs(engine) == {"bbb"}


def _cells(codes: list[int], status: list[int], rules: list[int], protects: list[int | None]) -> pa.Table:
    return pa.table(
        {
            "code": pa.array(codes, pa.int64()),
            "_cell": pa.array(range(len(codes)), pa.int32()),
            "_status": pa.array(status, pa.int8()),
            "_rules": pa.array(rules, pa.int32()),
            "_protects": pa.array(protects, pa.int32()),
        }
    )


def test_suppressions_are_replaced_per_dataset(engine: DuckDBEngine) -> None:
    cells = _cells([2, 1, 3], [2, 1, 2], [0, 0b10, 0], [1, None, 1])
    ledger.write_suppressions(engine, "energy", "r", ["code"], ["m", "n"], cells)
    ledger.write_suppressions(engine, "other", "r", ["code"], ["m", "n"], cells)
    examples = ledger.suppression_examples(engine, "energy", 5)
    assert examples == [
        {"cell": {"code": 1}, "status": "primary", "rules": ["n"]},
        {"cell": {"code": 2}, "status": "secondary", "rules": []},
        {"cell": {"code": 3}, "status": "secondary", "rules": []},
    ]
    assert [c["protects"] for c in ledger.suppressed_cells(engine, "energy")] == [None, {"code": 1}, {"code": 1}]
    assert len(ledger.suppression_examples(engine, "energy", 1)) == 1
    assert ledger.suppression_counts(engine)[("energy", "secondary")] == 2
    ledger.write_suppressions(engine, "energy", "r", ["code"], ["m", "n"], None)
    assert ledger.suppression_examples(engine, "energy", 5) == []
    assert not engine.table_exists(ledger.META, ledger.cells_table("energy"))
    assert len(ledger.suppression_examples(engine, "other", 5)) == 3
    with pytest.raises(ValueError, match="clash"):
        ledger.write_suppressions(engine, "x", "r", ["_status"], [], cells)


def test_a_dataset_name_that_is_no_identifier_gets_a_table_of_its_own() -> None:
    assert ledger.cells_table("energie_cellules") == "secrecy_cells_energie_cellules"
    assert ledger.cells_table("a.b") != ledger.cells_table("a_b")


def test_a_report_of_the_former_shape_is_read_until_its_dataset_is_published_again(engine: DuckDBEngine) -> None:
    """Stores written before the typed report keep one JSON row per cell: still read, then replaced."""
    engine.ensure_schema(ledger.META)
    engine.execute(
        f"CREATE TABLE {ledger.SUPPRESSIONS} (dataset VARCHAR, ruleset VARCHAR, recorded_at TIMESTAMP, "
        "cell JSON, status VARCHAR, rules VARCHAR[], protects JSON)"
    )
    rows = [("energy", '{"code":1}', "primary", ["n"], None), ("energy", '{"code":2}', "secondary", [], '{"code":1}')]
    for dataset, cell, status, rules, protects in [*rows, ("other", '{"code":5}', "primary", ["n"], None)]:
        engine.execute(
            f"INSERT INTO {ledger.SUPPRESSIONS} VALUES (?, 'r', now(), ?, ?, ?, ?)",
            [dataset, cell, status, rules, protects],
        )
    assert ledger.suppressed_cells(engine, "energy") == [
        {"cell": {"code": 1}, "status": "primary", "rules": ["n"], "protects": None},
        {"cell": {"code": 2}, "status": "secondary", "rules": [], "protects": {"code": 1}},
    ]
    ledger.write_suppressions(engine, "energy", "r", ["code"], ["n"], _cells([7], [1], [1], [None]))
    assert [c["cell"] for c in ledger.suppressed_cells(engine, "energy")] == [{"code": 7}]
    assert ledger.suppression_counts(engine) == {("energy", "primary"): 1, ("other", "primary"): 1}


def test_the_runs_of_each_history_table_and_the_rows_of_chosen_runs(engine: DuckDBEngine) -> None:
    ledger.write_step_records(engine, [StepRecord(r, "model:a", "model", started_at=T0) for r in ("r1", "r2")])
    ledger.write_fetch(engine, _fetch("r2", True, "aaa", "2026-03-01T12:00:00+00:00"), {}, "aaa")
    assert ledger.runs_in(engine, ["step_runs", "fetches", "lineage"]) == {
        "step_runs": {"r1", "r2"},
        "fetches": {"r2"},
        "lineage": set(),
    }
    only = ledger.record_relation("step_runs", only_runs=["r2", "it's"])  # quoted, not pasted
    assert engine.fetch_all(f"SELECT run_id FROM {only}") == [("r2",)]
    assert engine.fetch_all(f"SELECT count(*) FROM {ledger.record_relation('step_runs', only_runs=[])}") == [(0,)]


def test_readers_answer_empty_on_a_store_no_run_opened() -> None:
    bare = open_duckdb(None)
    assert not ledger.has_records(bare)
    assert ledger.run_history(bare) == ledger.step_history(bare) == ledger.fetch_history(bare) == []
    assert ledger.last_real_costs(bare) == ledger.source_checks(bare) == {}
    assert ledger.current_inputs(bare) == set()
    bare.close()


def test_the_rows_of_a_few_runs_and_of_many_are_chosen_alike(engine: DuckDBEngine) -> None:
    """A few runs are named in an IN list, many in a list value (``IN_LIST``): the same rows."""
    runs = [f"r{i:03d}" for i in range(ledger.IN_LIST + 6)]
    ledger.write_step_records(engine, [StepRecord(r, "model:a", "model", started_at=T0) for r in runs])
    for chosen in (runs[:3], runs[: ledger.IN_LIST], runs[: ledger.IN_LIST + 1], runs[2:]):
        relation = ledger.record_relation("step_runs", only_runs=chosen)
        assert sorted(r for (r,) in engine.fetch_all(f"SELECT run_id FROM {relation}")) == chosen
