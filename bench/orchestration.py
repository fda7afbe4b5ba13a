"""Per-step overhead of territoria's runner vs Dagster, on a chain of 40 trivial steps.

territoria: a workspace-local pack of 40 SQL models, each reading the previous one
(``SELECT x + 1 FROM ref('m_i')``), run with ``force=True`` so every step executes, with run
records, content fingerprints and lineage on, into a DuckDB file. Dagster: the same chain of 40
ops (``x + 1``) as a job, ``execute_in_process``, twice: with an ephemeral instance (keeps
nothing) and with a persistent instance (run and event records in SQLite, the durable
counterpart of territoria's records). Bare DuckDB: the 40
CREATE TABLE statements a territoria run executes, and nothing else, on the same engine. All
three side by side in one run, alternating, several repetitions.

The cost of a step is its marginal cost, (chain of 40 - chain of 1) / 39, so that fixed costs
(opening the store, starting a Dagster run, the publication snapshot's fixed part) are not
spread over steps. A step's *overhead* is its cost minus its own work: for territoria, its
marginal cost minus the same SQL run bare; for Dagster, whose op adds 1 in Python, all of it.
Medians over the repetitions; both the overhead ratio (the goal) and the plain cost ratio
are printed.

    python bench/orchestration.py [--steps 40] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from territoria.engines.duckdb.engine import open_duckdb
from territoria.pipelines import run_pipeline
from territoria.testing.chain import write_chain_pack
from territoria.workspace import Workspace, init_workspace


def make_workspace(root: Path, steps: int) -> Workspace:
    ws = init_workspace(root / "ws", communes=["35238"], packs=[])
    write_chain_pack(ws.root, steps)
    return Workspace(ws.root)


def territoria_run(ws, steps: int) -> float:  # type: ignore[no-untyped-def]
    with ws.engine() as engine:
        t0 = time.perf_counter()
        summary = run_pipeline(ws, engine, force=True)
        elapsed = time.perf_counter() - t0
        last = engine.fetch_all(f"SELECT x FROM model.m_{steps - 1}")[0][0]
    assert summary.status == "success" and summary.count("success") == steps and last == steps - 1
    return elapsed


def bare_run(engine, steps: int) -> float:  # type: ignore[no-untyped-def]
    """The steps' own work: the CREATE TABLE statements, one transaction, no orchestration."""
    t0 = time.perf_counter()
    with engine.transaction():
        engine.execute("CREATE OR REPLACE TABLE model.m_0 AS SELECT 0 AS x")
        for i in range(1, steps):
            engine.execute(f"CREATE OR REPLACE TABLE model.m_{i} AS SELECT x + 1 AS x FROM model.m_{i - 1}")
    return time.perf_counter() - t0


def dagster_job(steps: int):  # type: ignore[no-untyped-def]
    from dagster import In, Nothing, job, op  # noqa: F401  (imported here: bench-only dependency)

    @op(name="m_0")
    def first() -> int:
        return 0

    ops = [first]

    def make(i: int):  # type: ignore[no-untyped-def]
        @op(name=f"m_{i}")
        def step(x: int) -> int:
            return x + 1

        return step

    ops.extend(make(i) for i in range(1, steps))

    @job
    def chain() -> None:
        value = ops[0]()
        for o in ops[1:]:
            value = o(value)

    return chain


def dagster_run(chain, steps: int, instance=None) -> float:  # type: ignore[no-untyped-def]
    from dagster import DagsterInstance

    with DagsterInstance.ephemeral() if instance is None else nullcontext(instance) as inst:
        t0 = time.perf_counter()
        # Dagster's default console logger prints a dozen DEBUG lines per op: keep it quiet.
        quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
        result = chain.execute_in_process(instance=inst, run_config=quiet)
        elapsed = time.perf_counter() - t0
    assert result.success and result.output_for_node(f"m_{steps - 1}") == steps - 1
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.steps
    from dagster import DagsterInstance

    with tempfile.TemporaryDirectory() as tmp:
        long_ws, short_ws = make_workspace(Path(tmp) / "long", n), make_workspace(Path(tmp) / "short", 1)
        long_chain, short_chain = dagster_job(n), dagster_job(1)
        (Path(tmp) / "bare").mkdir()
        bare = open_duckdb(Path(tmp) / "bare")
        bare.execute("CREATE SCHEMA model")
        (Path(tmp) / "dagster").mkdir()
        durable = DagsterInstance.local_temp(str(Path(tmp) / "dagster"), overrides={"telemetry": {"enabled": False}})
        territoria_run(long_ws, n)  # warm-up: first table creation, imports
        territoria_run(short_ws, 1)
        dagster_run(long_chain, n)
        dagster_run(short_chain, 1)
        dagster_run(long_chain, n, durable)
        bare_run(bare, n)
        ours, work, theirs, kept, ours_total, theirs_total = [], [], [], [], [], []
        for _ in range(args.repeat):
            t_long, t_short = territoria_run(long_ws, n), territoria_run(short_ws, 1)
            b_long, b_short = bare_run(bare, n), bare_run(bare, 1)
            d_long, d_short = dagster_run(long_chain, n), dagster_run(short_chain, 1)
            k_long, k_short = dagster_run(long_chain, n, durable), dagster_run(short_chain, 1, durable)
            ours.append((t_long - t_short) / (n - 1))
            work.append((b_long - b_short) / (n - 1))
            theirs.append((d_long - d_short) / (n - 1))
            kept.append((k_long - k_short) / (n - 1))
            ours_total.append(t_long)
            theirs_total.append(d_long)
        bare.close()
        durable.dispose()
    t, w, d, k = (statistics.median(x) for x in (ours, work, theirs, kept))
    overhead = statistics.median(o - b for o, b in zip(ours, work, strict=True))
    dagster = f"dagster {__import__('dagster').__version__} execute_in_process"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"chain of {n} trivial steps, {args.repeat} repetitions alternated, medians; load average {load}; "
          "marginal cost per step:")  # fmt: skip
    print(
        f"  territoria (durable DuckDB store; records, fingerprints, lineage on): {t * 1000:7.3f} ms/step "
        f"(whole run {statistics.median(ours_total):.3f} s)"
    )
    print(f"  the same CREATE TABLE statements on bare DuckDB (the steps' own work): {w * 1000:7.3f} ms/step")
    print(
        f"  {dagster}, ephemeral instance: {d * 1000:7.3f} ms/step (whole run {statistics.median(theirs_total):.3f} s)"
    )
    print(f"  {dagster}, persistent SQLite instance: {k * 1000:7.3f} ms/step")
    print("per-step overhead (marginal cost minus the step's own work; a Dagster op's work, x + 1, is nil):")
    print(f"  territoria {overhead * 1000:.3f} ms/step")
    print(
        f"  ratio vs ephemeral Dagster:  overhead {d / overhead:5.1f}x, whole marginal cost {d / t:5.1f}x"
        "  (goal >= 20x)"
    )
    print(f"  ratio vs persistent Dagster: overhead {k / overhead:5.1f}x, whole marginal cost {k / t:5.1f}x")


if __name__ == "__main__":
    main()
