"""Per-step overhead of territoria's runner vs Dagster, on chains of trivial steps (41 against 2).

territoria: a workspace-local pack of 40 SQL models, each reading the previous one
(``SELECT x + 1 FROM ref('m_i')``), run with ``force=True`` so every step executes, with run
records, content fingerprints and lineage on, into a DuckDB file. Dagster: the same chain of 40
ops (``x + 1``) as a job, ``execute_in_process``, twice: with an ephemeral instance (keeps
nothing) and with a persistent instance (run and event records in SQLite, the durable
counterpart of territoria's records). Bare DuckDB: the 40
CREATE TABLE statements a territoria run executes, and nothing else, on the same engine. All
three side by side in one run, alternating, several repetitions.

The cost of a step is its marginal cost, (chain of 41 - chain of 2) / 39, so that fixed costs
(opening the store, starting a Dagster run, the publication snapshot's fixed part) are not
spread over steps. Both chains have at least one edge: a chain of 1 has none, so a run's fixed
cost of recording lineage (its append, its share of the checkpoint, its Parquet part in the
snapshot: about 6 ms for territoria) would count in the chain of 40's steps and not in the
chain of 1. Every side is measured the same way (Dagster's and bare DuckDB's too). The former
definition, (chain of 40 - chain of 1) / 39, is printed too, for comparison with earlier
figures. A step's *overhead* is its cost minus its own work: for territoria, its marginal cost
minus the same SQL run bare; for Dagster, whose op adds 1 in Python, all of it.

Both DuckDB sides are timed from opening the store to closing it: DuckDB moves what was
committed into the database file (a checkpoint) at the latest when the store is closed;
territoria does it before it saves its status summary, bare DuckDB at close, and stopping the
clock at the last statement would charge that work to territoria only. Each figure is the best
of the repetitions (each chain at its best, every side alike; the CPU figures also as the median
of each repetition's own marginal cost, steadier on a loaded machine), in
wall time and in CPU time (the whole process's, DuckDB's threads included): on a shared
machine wall times carry the other processes' load, CPU times far less. ``--threads N`` gives
both DuckDB sides N threads (territoria through ``engine_options`` in territory.yaml): on a loaded machine, idle DuckDB
workers waiting for a core add noise to both figures.

    python bench/orchestration.py [--steps 40] [--repeat 7] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import yaml

from territoria.engines.duckdb.engine import open_duckdb
from territoria.pipelines import run_pipeline
from territoria.testing.chain import write_chain_pack
from territoria.workspace import Workspace, init_workspace

#: (wall seconds, CPU seconds) of one call
Timing = tuple[float, float]


def make_workspace(root: Path, steps: int, threads: int | None) -> Workspace:
    ws = init_workspace(root / "ws", communes=["35238"], packs=[])
    write_chain_pack(ws.root, steps)
    if threads:
        config_file = ws.root / "territory.yaml"
        config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        config["engine_options"] = {"threads": threads}
        config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return Workspace(ws.root)


def timed(fn: Callable[[], object]) -> tuple[Timing, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - t0, time.process_time() - c0), out


def territoria_run(ws, steps: int) -> Timing:  # type: ignore[no-untyped-def]
    def call():  # type: ignore[no-untyped-def]
        with ws.engine() as engine:
            return run_pipeline(ws, engine, force=True)

    took, summary = timed(call)
    with ws.engine() as engine:
        last = engine.fetch_all(f"SELECT x FROM model.m_{steps - 1}")[0][0]
    assert summary.status == "success" and summary.count("success") == steps and last == steps - 1  # type: ignore[attr-defined]
    return took


def bare_run(directory: Path, steps: int, threads: int | None) -> Timing:
    """The steps' own work: the CREATE TABLE statements, one transaction, no orchestration."""

    def call() -> None:
        engine = open_duckdb(directory, threads=threads)
        with engine.transaction():
            engine.execute("CREATE SCHEMA IF NOT EXISTS model")
            engine.execute("CREATE OR REPLACE TABLE model.m_0 AS SELECT 0 AS x")
            for i in range(1, steps):
                engine.execute(f"CREATE OR REPLACE TABLE model.m_{i} AS SELECT x + 1 AS x FROM model.m_{i - 1}")
        engine.close()

    return timed(call)[0]


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


def dagster_run(chain, steps: int, instance=None) -> Timing:  # type: ignore[no-untyped-def]
    from dagster import DagsterInstance

    # Dagster's default console logger prints a dozen DEBUG lines per op: keep it quiet.
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with DagsterInstance.ephemeral() if instance is None else nullcontext(instance) as inst:
        took, result = timed(lambda: chain.execute_in_process(instance=inst, run_config=quiet))
    assert result.success and result.output_for_node(f"m_{steps - 1}") == steps - 1  # type: ignore[attr-defined]
    return took


def best(runs: list[Timing], kind: int) -> float:
    return min(r[kind] for r in runs)


def marginal(long: list[Timing], short: list[Timing], steps: int, kind: int) -> float:
    """Per-step marginal cost from the best long chain and the best short one, ``steps`` apart."""
    return (best(long, kind) - best(short, kind)) / steps


def median_marginal(long: list[Timing], short: list[Timing], steps: int, kind: int) -> float:
    """Median over the repetitions of each one's marginal cost (long and short chain run one after
    the other): on a loaded machine the best of each chain, taken apart, may come from different
    moments; this pairs them."""
    return statistics.median((a[kind] - b[kind]) / steps for a, b in zip(long, short, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads of both DuckDB sides")
    args = parser.parse_args()
    n = args.steps
    from dagster import DagsterInstance

    sides = ("territoria", "bare", "dagster", "durable")
    # (41 - 2) is the marginal cost; (40 - 1), the former definition, is printed for comparison
    lengths = (n + 1, 2, n, 1)
    runs: dict[tuple[str, int], list[Timing]] = {(side, k): [] for side in sides for k in lengths}
    with tempfile.TemporaryDirectory() as tmp:
        ws = {k: make_workspace(Path(tmp) / f"chain{k}", k, args.threads) for k in lengths}
        chains = {k: dagster_job(k) for k in lengths}
        bare = {k: Path(tmp) / f"bare{k}" for k in lengths}
        for d in bare.values():
            d.mkdir()
        (Path(tmp) / "dagster").mkdir()
        durable = DagsterInstance.local_temp(str(Path(tmp) / "dagster"), overrides={"telemetry": {"enabled": False}})
        call = {
            "territoria": lambda k: territoria_run(ws[k], k),
            "bare": lambda k: bare_run(bare[k], k, args.threads),
            "dagster": lambda k: dagster_run(chains[k], k),
            "durable": lambda k: dagster_run(chains[k], k, durable),
        }
        for side in sides:  # warm-up: first table creation, imports
            for k in lengths:
                call[side](k)
        for _ in range(args.repeat):
            for side in sides:
                for k in lengths:
                    runs[side, k].append(call[side](k))
        durable.dispose()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    threads = f"DuckDB threads {args.threads}" if args.threads else "DuckDB threads: its default"
    print(
        f"chains of {n + 1} and 2 trivial steps (and {n} and 1), {args.repeat} repetitions alternated, "
        f"best of each; {threads}; load average {load}"
    )
    report(runs, (n + 1, 2), n, f"marginal cost per step (ms), (chain of {n + 1} - chain of 2) / {n - 1}")
    report(runs, (n, 1), n, f"former definition, (chain of {n} - chain of 1) / {n - 1}: fixed lineage costs included")


def report(runs: dict[tuple[str, int], list[Timing]], chains: tuple[int, int], n: int, title: str) -> None:
    """Print each side's marginal cost per step between the two ``chains`` and the overhead ratios."""
    long, short = chains
    dagster = f"dagster {__import__('dagster').__version__} execute_in_process"
    labels = {
        "territoria": "territoria (durable DuckDB store; records, fingerprints, lineage on)",
        "bare": "the same CREATE TABLE statements on bare DuckDB (the steps' own work)",
        "dagster": f"{dagster}, ephemeral instance",
        "durable": f"{dagster}, persistent SQLite instance",
    }
    print(f"{title}, wall | CPU:")
    cost = {
        (side, kind): marginal(runs[side, long], runs[side, short], long - short, kind)
        for side in labels
        for kind in (0, 1)
    }
    med = {side: median_marginal(runs[side, long], runs[side, short], long - short, 1) for side in labels}
    for side, label in labels.items():
        whole = best(runs[side, long], 0)
        print(
            f"  {label:<78} {cost[side, 0] * 1000:7.3f} | {cost[side, 1] * 1000:7.3f}"
            f"   (whole chain of {long}: {whole:.3f} s wall; CPU, median of the repetitions: {med[side] * 1000:.3f})"
        )
    print("per-step overhead (marginal cost minus the step's own work; a Dagster op's work, x + 1, is nil):")
    for kind, name in ((0, "wall"), (1, "CPU")):
        ours = cost["territoria", kind] - cost["bare", kind]
        eph, dur = cost["dagster", kind], cost["durable", kind]
        print(
            f"  {name:<4} territoria {ours * 1000:6.3f} ms/step; vs ephemeral Dagster {eph * 1000:6.3f}: "
            f"overhead {eph / ours:5.1f}x, whole marginal cost {eph / cost['territoria', kind]:5.1f}x (goal >= 20x); "
            f"vs persistent Dagster: overhead {dur / ours:5.1f}x"
        )
    ours = med["territoria"] - med["bare"]
    print(
        f"  CPU, medians of the repetitions: territoria {ours * 1000:6.3f} ms/step; "
        f"vs ephemeral Dagster {med['dagster'] * 1000:6.3f}: overhead {med['dagster'] / ours:5.1f}x"
    )


if __name__ == "__main__":
    main()
