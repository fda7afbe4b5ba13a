"""Engines benchmark: the national energy model on every engine, side by side.

The energy pack's models (commune cells, the cube with its margins) and the statistical secrecy
guard (primary rules + secondary suppression), as ``bench/national_energy.py`` runs them (its
input generator and model/guard sequence, imported), on each engine of ``--engines``: each run
in a process of its own (a fresh JVM for Spark, whose session is one per process), timed from
the first model to the published table (loading the input is not timed). Prints each engine's
wall and CPU seconds (CPU: the process and its children, the JVM included; a PostgreSQL
server's backends are not children: client CPU only), the ratio to DuckDB, whether the published
table is identical to DuckDB's row for row, and Spark with 1 then 2 workers (``local[N]``).
Then the pack's emissions indicator on the published cells (``emissions``: the engine's variant
of its SQL, Spark's having no 128-bit bit set), timed apart, compared with DuckDB's to 12
significant digits (DuckDB casts a DECIMAL to DOUBLE with two roundings: a last-digit difference).

    .venv/bin/python bench/engines.py [--years 2] [--departments 35,56] \\
        [--engines duckdb,postgres,spark] [--pg-dsn postgresql://...] [--spark-workers 1,2]

``--demo`` times the whole Rennes Métropole demo instead (every pack, as ``territoria demo``),
on DuckDB and PostgreSQL: the demo's files are written once, then each engine runs them end to
end in a process of its own, on a fresh store (the PostgreSQL schemas ``bench_demo_*`` are
dropped first). The server's CPU is the backend's (read in /proc: a local server only).

    .venv/bin/python bench/engines.py --demo [--engines duckdb,postgres] [--pg-dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from national_energy import FACTORS, synthetic_input, territoria_pipeline

from territoria.catalog.packs import load_pack
from territoria.core.errors import TerritoriaError
from territoria.engines.base import Engine, TableWrite
from territoria.engines.registry import available_engines, open_engine
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import load_ruleset
from territoria.pipelines.spec import DatasetInfo, render_sql

KEYS = ["mesh", "code", "period", "sector", "energy"]
INPUTS = ("staging", "communes", "factors")


def _cpu() -> float:
    """CPU seconds of this process and every live descendant (Spark's JVM is one)."""
    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def emissions(engine: Engine) -> pa.Table:
    """The energy pack's emissions indicator on ``published.energie_cellules``, through the derived
    secrecy rules, as the pipeline runs it: the pack's SQL for the engine (its variant if any)."""
    pack = load_pack("energy_ghg")
    datasets = {
        "facteurs-emission": DatasetInfo("facteurs-emission", "staging", "facteurs-emission"),
        "published.energie_cellules": DatasetInfo("energie_cellules", "published", ""),
    }
    params = {
        "territory.name": "France",
        "territory.epci": "",
        # France's total as bench/national_energy.py and its pandas peer write it
        "territory.mesh": "epci",
        "territory.code": "territoire",
        **pack.definition.parameters,
    }
    sql = pack.read_sql("indicators/ges_emissions.sql", engine.capabilities.sql_dialect)
    derived = apply_ruleset(
        engine, "ges_emissions", render_sql(sql, datasets, params, "ges_emissions"), load_ruleset("energy_derived")
    )
    engine.create_or_replace(TableWrite("published", "ges_emissions", derived.select_sql))
    return engine.fetch_arrow("SELECT * FROM published.ges_emissions")


def same_rows(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> int:
    """How many rows differ (floats to 12 significant digits)."""
    diff = abs(len(rows) - len(reference))
    for a, b in zip(rows, reference, strict=False):
        if a.keys() != b.keys() or any(not _equal(a[k], b[k]) for k in a):
            diff += 1
    return diff


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return bool(a == b)


def child(kind: str, workers: int, inputs: Path, output: Path, dsn: str) -> None:
    """One engine's run, in this process: the published cells to ``output``, timings on stdout."""
    staging, communes, factors = (pq.read_table(inputs / f"{n}.parquet") for n in INPUTS)
    options: dict[str, Any] = {"workers": workers} if kind == "spark" else {}
    if kind == "postgres":
        # the engine reads its DSN from the environment (never an option with a password in it);
        # its own schemas, so that the benchmark never replaces a workspace's tables
        os.environ["TERRITORIA_PG_DSN"] = dsn
        options = {"schema_prefix": "bench_engines_"}
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as store:
        engine = open_engine(kind, Path(store), **options)
        cpu0 = _cpu()
        cells, _, (wall, _), _, _ = territoria_pipeline(staging, communes, factors, engine, emissions=False)
        cpu = _cpu() - cpu0
        t0 = time.perf_counter()
        emitted = emissions(engine)
        emissions_wall = time.perf_counter() - t0
        engine.close()
    pq.write_table(cells, output)
    pq.write_table(emitted, output.with_suffix(".emissions.parquet"))
    print(json.dumps({"wall": wall, "cpu": cpu, "emissions_wall": emissions_wall}))


DEMO_PREFIX = "bench_demo_"


def _backend_cpu(engine: Any) -> float | None:
    """CPU seconds of a PostgreSQL engine's server backend, when the server runs on this machine."""
    pid = engine.con.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def demo_child(kind: str, source: Path, target: Path, dsn: str) -> None:
    """The demo's files run end to end on one engine, in this process; timings on stdout."""
    import psycopg

    from territoria.core.yamlio import read_yaml, write_yaml
    from territoria.pipelines import run_pipeline
    from territoria.workspace import Workspace

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("store", "lock"))
    if kind != "duckdb":
        config = read_yaml(target / "territory.yaml")
        config["engine"], config["engine_options"] = kind, {}
        if kind == "postgres":
            os.environ["TERRITORIA_PG_DSN"] = dsn
            config["engine_options"] = {"schema_prefix": DEMO_PREFIX}
            with psycopg.connect(dsn, autocommit=True) as con:  # a fresh store: nothing to skip
                for (schema,) in con.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [DEMO_PREFIX.replace("_", r"\_") + "%"]
                ).fetchall():
                    con.execute(f'DROP SCHEMA "{schema}" CASCADE')
        write_yaml(target / "territory.yaml", config)
    ws = Workspace(target)
    with ws.engine() as engine:
        server0 = _backend_cpu(engine) if kind == "postgres" else None
        cpu0, wall0 = _cpu(), time.perf_counter()
        summary = run_pipeline(ws, engine)
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
        server = (_backend_cpu(engine) or 0.0) - server0 if server0 is not None else None
    statuses = [r.status for r in summary.records]
    steps = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    print(json.dumps({"wall": wall, "cpu": cpu, "server": server, "steps": steps}))


def demo(engines: list[str], dsn: str) -> None:
    from territoria.workspace import init_demo_workspace

    print(f"load average at start: {_load()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        wall0 = time.perf_counter()
        source = init_demo_workspace(Path(tmp) / "demo").root
        print(f"demo inputs written in {time.perf_counter() - wall0:.1f} s (not timed below)")
        print(f"{'engine':<10}{'wall s':>9}{'CPU s':>9}{'server s':>10}{'wall/DuckDB':>13}  steps")
        base = 0.0
        for kind in ["duckdb", *(e for e in engines if e != "duckdb")]:
            cmd = [sys.executable, __file__, "--demo-child", kind, "--inputs", str(source)]
            cmd += ["--output", str(Path(tmp) / kind), "--pg-dsn", dsn]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{kind:<10}  failed: {(done.stderr.strip().splitlines() or ['(no output)'])[-1]}")
                continue
            res = json.loads(done.stdout.strip().splitlines()[-1])
            base = base or res["wall"]
            server = f"{res['server']:>10.1f}" if res["server"] is not None else f"{'-':>10}"
            ratio = res["wall"] / base
            print(f"{kind:<10}{res['wall']:>9.1f}{res['cpu']:>9.1f}{server}{ratio:>12.1f}x  {res['steps']}")
    print(f"load average at end: {_load()}")


def _run(kind: str, workers: int, inputs: Path, out: Path, dsn: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--workers", str(workers), "--inputs", str(inputs)]
    cmd += ["--output", str(out), "--pg-dsn", dsn]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": tail}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.sort_by([(k, "ascending") for k in KEYS]).to_pylist()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--departments", default="", help="comma-separated département codes ('': all France)")
    parser.add_argument("--engines", default="duckdb,postgres,spark")
    parser.add_argument("--pg-dsn", default=os.environ.get("TERRITORIA_PG_DSN", ""))
    parser.add_argument("--spark-workers", default="1,2")
    parser.add_argument("--demo", action="store_true", help="the whole Rennes Métropole demo instead")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--demo-child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--inputs", default="", help=argparse.SUPPRESS)
    parser.add_argument("--output", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workers, Path(args.inputs), Path(args.output), args.pg_dsn)
        return
    if args.demo_child:
        demo_child(args.demo_child, Path(args.inputs), Path(args.output), args.pg_dsn)
        return
    if args.demo:
        engines = [e for e in args.engines.split(",") if e in ("duckdb", "postgres")]
        if "postgres" in engines and not args.pg_dsn:
            sys.exit("the demo on postgres needs a DSN (--pg-dsn or TERRITORIA_PG_DSN)")
        demo(engines, args.pg_dsn)
        return
    staging, communes = synthetic_input(range(2025 - args.years, 2025))
    if args.departments:
        keep = pc.starts_with(communes["code"], args.departments.split(",")[0])
        for dep in args.departments.split(",")[1:]:
            keep = pc.or_(keep, pc.starts_with(communes["code"], dep))
        communes = communes.filter(keep)
        staging = staging.filter(pc.is_in(staging["code_commune"], communes["code"]))
    factors = pa.Table.from_pandas(pd.read_csv(FACTORS, sep=";"), preserve_index=False)
    where = f"départements {args.departments}" if args.departments else "all France"
    print(f"input: {staging.num_rows:,} ORE rows, {communes.num_rows:,} communes ({where}), {args.years} years")
    print(f"load average at start: {_load()} ({os.cpu_count()} cores)")
    runs: list[tuple[str, int]] = []
    for kind in args.engines.split(","):
        if kind not in available_engines():
            print(f"{kind}: skipped — its engine is not installed in this build ({', '.join(available_engines())})")
        elif kind == "postgres" and not args.pg_dsn:
            print("postgres: skipped — no DSN (--pg-dsn or TERRITORIA_PG_DSN)")
        elif kind == "spark":
            runs += [("spark", int(w)) for w in args.spark_workers.split(",")]
        else:
            runs.append((kind, 0))
    if ("duckdb", 0) not in runs:
        runs.insert(0, ("duckdb", 0))  # the reference every other engine is compared with
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        inputs = Path(tmp)
        for name, table in zip(INPUTS, (staging, communes, factors), strict=True):
            pq.write_table(table, inputs / f"{name}.parquet")
        results: dict[tuple[str, int], dict[str, Any]] = {}
        reference: list[dict[str, Any]] = []
        emitted: list[dict[str, Any]] = []
        print(f"{'engine':<10}{'workers':>8}{'wall s':>10}{'CPU s':>10}{'wall/DuckDB':>13}{'CPU/DuckDB':>12}  output")
        for kind, workers in runs:
            out = inputs / f"out-{kind}-{workers}.parquet"
            res = _run(kind, workers, inputs, out, args.pg_dsn)
            results[(kind, workers)] = res
            label = str(workers) if workers else "-"
            if "error" in res:
                print(f"{kind:<10}{label:>8}  failed: {res['error']}")
                continue
            rows = _rows(pq.read_table(out))
            emissions_rows = _rows(pq.read_table(out.with_suffix(".emissions.parquet")))
            if kind == "duckdb":
                reference, emitted = rows, emissions_rows
                secret = sum(1 for r in rows if r["secret"])
                same = f"{len(rows):,} cells, {secret:,} secret (reference)"
            else:
                diff = sum(1 for a, b in zip(rows, reference, strict=False) if a != b) + abs(len(rows) - len(reference))
                same = "identical to DuckDB" if diff == 0 else f"DIFFERS from DuckDB ({diff:,} rows)"
                wrong = same_rows(emissions_rows, emitted)
                same += "; emissions " + ("equal" if wrong == 0 else f"DIFFER ({wrong:,} rows)")
            same += f"; emissions {res['emissions_wall']:.2f} s"
            base = results[("duckdb", 0)]
            print(
                f"{kind:<10}{label:>8}{res['wall']:>10.2f}{res['cpu']:>10.2f}"
                f"{res['wall'] / base['wall']:>12.1f}x{res['cpu'] / base['cpu']:>11.1f}x  {same}"
            )
        spark = [(w, results[("spark", w)]) for k, w in runs if k == "spark" and "error" not in results[("spark", w)]]
        if len(spark) >= 2:
            (w1, r1), (w2, r2) = spark[0], spark[-1]
            print(
                f"spark scaling {w1} -> {w2} workers: wall {r1['wall']:.2f} s -> {r2['wall']:.2f} s "
                f"(speed-up x{r1['wall'] / r2['wall']:.2f}), CPU {r1['cpu']:.2f} s -> {r2['cpu']:.2f} s"
            )
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    try:
        main()
    except TerritoriaError as exc:
        sys.exit(f"error: {exc}")
    except KeyboardInterrupt:
        sys.exit(130)
