"""Group commit: consecutive SQL steps share one transaction, and still behave step by step.

A chain of models m_0 -> m_9 runs in one group; a failure, an interruption or a SIGKILL inside
the group must publish nothing of the failed step, keep every previous output, and leave records
that tell what happened. Incremental decisions inside a group use the fingerprints of tables the
same group rebuilt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from territoria.ledger import StepRecord, ensure_meta
from territoria.pipelines import run_pipeline
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.runner import RunSummary
from territoria.testing.chain import chain_sql, write_chain_pack
from territoria.workspace import Workspace, init_workspace

STEPS = 10


@pytest.fixture
def chain_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    # the whole chain in one group, however slow the machine
    monkeypatch.setattr("territoria.pipelines.runner.GROUP_SECONDS", 60.0)
    ws = init_workspace(tmp_path / "ws", communes=["35238"], packs=[])
    write_chain_pack(ws.root, STEPS)
    return Workspace(ws.root)


def run(ws: Workspace, **kwargs: object) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine, **kwargs)  # type: ignore[arg-type]


def q(ws: Workspace, sql: str) -> list[tuple[object, ...]]:
    with ws.engine() as engine:
        return engine.fetch_all(sql)


def values(ws: Workspace) -> list[object]:
    return [q(ws, f"SELECT x FROM model.m_{i}")[0][0] for i in range(STEPS)]


def statuses(summary: RunSummary) -> dict[str, str]:
    return {r.step.removeprefix("model:"): r.status for r in summary.records}


def test_a_group_records_every_step_as_if_committed_alone(chain_ws: Workspace) -> None:
    summary = run(chain_ws)
    assert summary.status == "success" and summary.count("success") == STEPS
    assert values(chain_ws) == list(range(STEPS))
    state = dict(q(chain_ws, "SELECT name, content_hash FROM _territoria.datasets"))  # type: ignore[arg-type]
    for rec in summary.records:
        out = rec.step.removeprefix("model:")
        assert rec.outputs == {out: state[out]} and rec.rows_out == 1
        assert rec.input_key  # the key was known when the step committed
    recorded = dict(
        q(chain_ws, f"SELECT step, bytes_written FROM _territoria.step_runs WHERE run_id = '{summary.run_id}'")
    )  # type: ignore[arg-type]
    # each step's share of the store growth of the commit that made the group durable
    assert recorded == {r.step: r.bytes_written for r in summary.records} and sum(recorded.values()) > 0
    edges = q(chain_ws, f"SELECT source, target FROM _territoria.lineage WHERE run_id = '{summary.run_id}'")
    assert ("m_3", "m_4") in edges and len(edges) == STEPS - 1
    assert run(chain_ws).count("skipped") == STEPS


def test_forced_keys_equal_unforced_keys(chain_ws: Workspace) -> None:
    """A forced run defers input keys to the group's fingerprint query; they must be the same keys."""
    run(chain_ws)
    keys = q(chain_ws, "SELECT step, input_key FROM _territoria.step_state ORDER BY step")
    forced = run(chain_ws, force=True)
    assert forced.count("success") == STEPS
    assert q(chain_ws, "SELECT step, input_key FROM _territoria.step_state ORDER BY step") == keys
    assert run(chain_ws).count("skipped") == STEPS


def test_a_change_reruns_downstream_and_an_identical_result_stops_the_rebuild(chain_ws: Workspace) -> None:
    run(chain_ws)
    write_chain_pack(chain_ws.root, STEPS, {3: "SELECT x + 2 AS x FROM ref('m_2')"})
    changed = run(chain_ws)
    assert [s for s, st in statuses(changed).items() if st == "success"] == [f"m_{i}" for i in range(3, STEPS)]
    assert values(chain_ws)[3:] == list(range(4, STEPS + 1))
    # same content, other SQL: m_3 reruns, its fingerprint is unchanged, so nothing downstream does
    write_chain_pack(chain_ws.root, STEPS, {3: "SELECT (x + 1) + 1 AS x FROM ref('m_2')"})
    same = run(chain_ws)
    assert [s for s, st in statuses(same).items() if st == "success"] == ["m_3"]


def test_a_failure_in_a_group_publishes_nothing_and_replays_the_steps_before_it(chain_ws: Workspace) -> None:
    run(chain_ws)
    before = q(chain_ws, "SELECT name, content_hash, run_id FROM _territoria.datasets ORDER BY name")
    # m_2 changes (so m_2..m_4 really rebuild inside the group), m_5 fails at execution: a conversion
    # error aborts the whole DuckDB transaction
    write_chain_pack(
        chain_ws.root,
        STEPS,
        {
            2: "SELECT x + 10 AS x FROM ref('m_1')",
            5: "SELECT CAST('not a number ' || x AS INTEGER) AS x FROM ref('m_4')",
        },
    )
    summary = run(chain_ws)
    st = statuses(summary)
    assert summary.status == "failed"
    assert [st[f"m_{i}"] for i in range(STEPS)] == ["skipped"] * 2 + ["success"] * 3 + ["failed"] + ["blocked"] * 4
    replayed = [r.step for r in summary.records if "replayed" in r.report]
    assert replayed == ["model:m_2", "model:m_3", "model:m_4"]
    assert values(chain_ws) == [0, 1, 11, 12, 13, 5, 6, 7, 8, 9]  # m_5.. keep their previous outputs
    after = {r[0]: r for r in q(chain_ws, "SELECT name, content_hash, run_id FROM _territoria.datasets")}
    for name, digest, run_id in before:
        if name in ("m_2", "m_3", "m_4"):
            assert after[name][2] == summary.run_id and after[name][1] != digest
        else:
            assert after[name] == (name, digest, run_id)
    failed = q(
        chain_ws,
        f"SELECT status, error FROM _territoria.step_runs WHERE step = 'model:m_5' AND run_id = '{summary.run_id}'",
    )
    assert failed[0][0] == "failed" and "not a number" in str(failed[0][1])
    write_chain_pack(chain_ws.root, STEPS, {2: "SELECT x + 10 AS x FROM ref('m_1')"})
    fixed = run(chain_ws)
    assert fixed.status == "success" and values(chain_ws) == [0, 1, 11, 12, 13, 14, 15, 16, 17, 18]


def test_a_failure_in_the_first_run_keeps_the_steps_before_it(chain_ws: Workspace) -> None:
    """The rolled-back group had created the store's schemas too: the replay must create them again."""
    write_chain_pack(chain_ws.root, STEPS, {3: "SELECT CAST('oops' AS INTEGER) AS x FROM ref('m_2')"})
    summary = run(chain_ws)
    st = statuses(summary)
    assert [st[f"m_{i}"] for i in range(5)] == ["success"] * 3 + ["failed", "blocked"]
    assert "oops" in str(next(r.error for r in summary.records if r.step == "model:m_3"))
    assert [q(chain_ws, f"SELECT x FROM model.m_{i}")[0][0] for i in range(3)] == [0, 1, 2]


def test_an_interrupted_group_is_rolled_back_and_said_so(chain_ws: Workspace) -> None:
    run(chain_ws)
    write_chain_pack(chain_ws.root, STEPS, {0: "SELECT 100 AS x"})

    class StopAfterM5(RunHook):
        def after_step(self, run: RunContext, rec: StepRecord) -> None:
            if rec.step == "model:m_5":
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), chain_ws.engine() as engine:
        run_pipeline(chain_ws, engine, hooks=[StopAfterM5()])
    assert values(chain_ws) == list(range(STEPS))  # nothing of the group reached the store
    last = q(chain_ws, "SELECT run_id, status FROM _territoria.runs ORDER BY started_at DESC LIMIT 1")[0]
    assert last[1] == "interrupted"
    steps = dict(q(chain_ws, f"SELECT step, status FROM _territoria.step_runs WHERE run_id = '{last[0]}'"))  # type: ignore[arg-type]
    assert {steps[f"model:m_{i}"] for i in range(6)} == {"interrupted"}
    assert run(chain_ws).status == "success" and values(chain_ws) == list(range(100, 100 + STEPS))


def test_sigkill_inside_a_group_keeps_every_previous_output(chain_ws: Workspace) -> None:
    run(chain_ws)
    state = q(chain_ws, "SELECT * FROM _territoria.step_state ORDER BY step")
    write_chain_pack(chain_ws.root, STEPS, {0: "SELECT 100 AS x"})
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        import territoria.pipelines.runner as runner
        from territoria.pipelines import run_pipeline
        from territoria.pipelines.hooks import RunHook
        from territoria.workspace import Workspace
        runner.GROUP_SECONDS = 60.0
        class Kill(RunHook):
            def after_step(self, run, rec):
                if rec.step == "model:m_{STEPS - 2}":
                    os.kill(os.getpid(), signal.SIGKILL)
        ws = Workspace(Path({str(chain_ws.root)!r}))
        with ws.engine() as engine:
            run_pipeline(ws, engine, hooks=[Kill()])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert values(chain_ws) == list(range(STEPS))
    assert q(chain_ws, "SELECT * FROM _territoria.step_state ORDER BY step") == state
    with chain_ws.engine() as engine:
        ensure_meta(engine)  # what the next command does first: close runs a killed process left open
        assert engine.fetch_all("SELECT status FROM _territoria.runs ORDER BY started_at DESC LIMIT 1")[0][0] == (
            "interrupted"
        )
    assert run(chain_ws).status == "success" and values(chain_ws) == list(range(100, 100 + STEPS))


def test_without_grouping_every_step_commits_alone(chain_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("territoria.pipelines.runner.GROUP_SECONDS", 0.0)
    summary = run(chain_ws)
    assert summary.count("success") == STEPS and values(chain_ws) == list(range(STEPS))
    assert all(r.bytes_written >= 0 for r in summary.records)
    assert chain_sql(1) == "SELECT x + 1 AS x FROM ref('m_0')"


def test_the_group_fingerprint_query_gives_each_table_its_own_print(tmp_path: Path) -> None:
    """One aggregate over every table's row hashes: each table, an empty one included, gets the
    fingerprint it had when fingerprinted alone (so stores written before keep their keys)."""
    from territoria.engines.duckdb.engine import open_duckdb
    from territoria.pipelines.group import fingerprints_sql, print_of

    engine = open_duckdb(tmp_path)
    try:
        engine.execute("CREATE TABLE a AS SELECT range AS x, range::VARCHAR AS s FROM range(5000)")
        engine.execute("CREATE TABLE b AS SELECT 1 AS x, NULL::VARCHAR AS s")
        engine.execute("CREATE TABLE e (x INTEGER, s VARCHAR)")
        engine.execute("CREATE TABLE c AS SELECT range AS x, range::VARCHAR AS s FROM range(5000) WHERE range <> 7")
        tables = ["a", "b", "e", "c"]
        found = {k: print_of(n, d) for k, n, d in engine.fetch_all(fingerprints_sql(tables))}
        grouped = [found.get(k, print_of(0, None)) for k in range(len(tables))]
        alone = [print_of(*engine.fetch_all(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {n} t")[0]) for n in tables]
        assert grouped == alone and grouped[2] == "0:None"
        assert len(set(grouped)) == len(tables)  # one row less is another print
    finally:
        engine.close()
