"""API benchmark: `territoria serve --workers N` under load from wrk (another process).

(a) indicator values on the demo workspace (Rennes Métropole, every pack) at 64 concurrent
    connections: p50/p99 latency, throughput, the server's and the load generator's CPU;
(b) OGC API Features items (limit=10, random offsets) of the all-France commune layer (a
    workspace of every commune with the territory pack), territoria against pygeoapi with its
    PostgreSQL provider on a PostGIS table written by ogr2ogr from the same features, both with
    the same number of worker processes, in alternated rounds: requests/s, server CPU per request
    (pygeoapi's with its PostgreSQL backends') and the ratios.

Goals: indicator p99 <= 50 ms at 64 connections; OGC API Features throughput >= 5x pygeoapi.
The load generator is wrk when installed (a Lua script cycles through the request mix), else
httpx client processes (noted: they cost more CPU than the server). Every server listens on
127.0.0.1; every load is bounded in time.

(c) with ``--first``, only the first OGC requests of a fresh server on the all-France layer (each
    collection is encoded when first read, not every one on the first OGC request).

    python bench/api.py [--seconds 10] [--concurrency 64] [--workers 2] [--ogc-rounds 3] [--workdir DIR]
    python bench/api.py --first --workdir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import _load
import httpx
import psutil
import psycopg
import pyarrow.parquet as pq
import yaml
from sensor_ingest import postgres_dsn

from territoria.pipelines import run_pipeline
from territoria.reference import referential
from territoria.testing.ports import free_port
from territoria.testing.pygeoapi import pygeoapi_config
from territoria.workspace import Workspace, init_demo_workspace, init_workspace
from territoria.workspace.workspace import CONFIG

CLI = [sys.executable, "-m", "territoria.cli.main"]
OURS_OGC = "/ogc/collections/contours-communes/items"
PEER_OGC = "/collections/communes/items"


def built(ws: Workspace) -> Workspace:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, command="bench")
    if summary.status != "success" or not summary.publication:
        raise SystemExit(f"workspace run failed: {summary.status} {summary.publication_error}")
    return ws


def france(root: Path) -> Workspace:
    codes = pq.read_table(referential().boundaries_path, columns=["code"]).column("code").to_pylist()
    return built(init_workspace(root, communes=codes, name="France", packs=["territory"]))


@contextmanager
def process(cmd: list[str], ready: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """Start a server, wait for the base URL matched by ``ready``, stop it (by pid) on exit."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    try:
        deadline, seen = time.monotonic() + 120, []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise SystemExit("server exited:\n" + "".join(seen))
            seen.append(line)
            found = re.search(ready, line)
            if found:
                # Keep reading its output, or a chatty server blocks on a full pipe.
                threading.Thread(target=lambda: seen.extend(proc.stdout or []), daemon=True).start()
                try:
                    yield found.group(1), proc.pid
                except BaseException:
                    print(f"{cmd[:4]}... said:\n" + "".join(seen[-30:]), file=sys.stderr)
                    raise
                break
        else:
            raise SystemExit("server did not start:\n" + "".join(seen))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def serve_territoria(ws: Workspace, workers: int) -> Iterator[tuple[str, int]]:
    cmd = [*CLI, "serve", "-w", str(ws.root), "--port", "0", "--workers", str(workers)]
    return process(cmd, r"(http://127\.0\.0\.1:\d+)/")


def server_cpu(pid: int, database: str | None = None) -> float:
    """CPU seconds of a server and its worker processes (a figure the machine's load barely changes),
    and with ``database``, of the PostgreSQL backends connected to it (a peer's queries run there)."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    if database:
        procs += [p for p in psutil.process_iter(["cmdline"]) if database in " ".join(p.info["cmdline"] or [])]
    return sum(map(_cpu_s, procs))


def _cpu_s(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.NoSuchProcess:  # a worker or backend that ended meanwhile
        return 0.0
    return float(times.user + times.system)


def measured(
    base: str, pid: int, paths: list[str], concurrency: int, seconds: float, database: str | None = None
) -> tuple[_load.Load, float]:
    """The load's figures and the server's CPU milliseconds per request."""
    cpu0 = server_cpu(pid, database)
    load = _load.run(base, paths, concurrency, seconds)
    return load, (server_cpu(pid, database) - cpu0) / max(1, load.requests) * 1000


def warm(base: str, paths: list[str], concurrency: int, limit_s: float = 300) -> float:
    """Load in rounds of 3 s until the throughput settles (each worker builds its view of the
    publication on its first requests); returns the seconds it took."""
    t0 = time.monotonic()
    previous = 0.0
    while time.monotonic() - t0 < limit_s:
        rps = _load.run(base, paths, concurrency, 3).rps
        if previous and rps < previous * 1.2:
            break
        previous = rps
    return time.monotonic() - t0


def indicator_paths(base: str, n: int, rng: random.Random) -> list[str]:
    listed = httpx.get(f"{base}/api/indicators", timeout=300).json()
    indicators = [i for i in listed if i["readable"] and i["meshes"]]  # anonymous
    communes = [f["properties"]["code"] for f in httpx.get(f"{base}/api/geo/communes", timeout=300).json()["features"]]
    paths = []
    for _ in range(n):
        ind = rng.choice(indicators)
        # only what a client can ask: a mesh the indicator has (an unknown one is a 400 since the
        # API refuses it), and a period only where the indicator has periods
        period = f"&period={rng.choice(ind['periods'])}" if ind["periods"] else ""
        kind = rng.random()
        if "commune" in ind["meshes"] and kind < 0.5:
            paths.append(f"/api/indicators/{ind['id']}/values?mesh=commune&code={rng.choice(communes)}{period}")
        elif "commune" in ind["meshes"] and kind < 0.8:
            paths.append(f"/api/indicators/{ind['id']}/values?mesh=commune{period}")
        else:
            # the whole territory's rows: mesh `epci`, or `territoire` for a territory made of
            # communes; an indicator of stations or sensors only: its own mesh
            wide = [m for m in ("territoire", "epci") if m in ind["meshes"]]
            paths.append(f"/api/indicators/{ind['id']}/values?mesh={(wide or ind['meshes'])[0]}")
    return paths


def describe(load: _load.Load, server_ms: float) -> str:
    return (
        f"p50 {load.p50_ms:.1f} ms   p99 {load.p99_ms:.1f} ms   {load.rps:.0f} req/s   {load.errors} errors   "
        f"server CPU {server_ms:.2f} ms/req   load generator CPU {load.client_cpu_s / max(1, load.requests) * 1000:.3f}"
        f" ms/req ({load.client})"
    )


def bench_indicators(ws: Workspace, args: argparse.Namespace) -> None:
    with serve_territoria(ws, args.workers) as (base, pid):
        paths = indicator_paths(base, 6400, random.Random(5))
        took = warm(base, paths, args.concurrency)
        load, server_ms = measured(base, pid, paths, args.concurrency, args.seconds)
    print(
        f"(a) indicator values, {len(set(paths))} distinct requests in the mix, {args.concurrency} connections, "
        f"{args.workers} server workers, {args.seconds:.0f} s after {took:.0f} s of warm-up  [{loadavg()}]"
    )
    print(f"    {describe(load, server_ms)}")
    met = load.p99_ms <= 50 and load.errors == 0
    print(f"    goal p99 <= 50 ms with no error: {'met' if met else 'NOT met'} ({load.errors} errors)")


def pygeoapi_cmd(tmp: Path, dsn: dict[str, str], workers: int) -> tuple[list[str], dict[str, str]]:
    port = free_port()
    config, openapi = tmp / "pygeoapi.yml", tmp / "pygeoapi-openapi.yml"
    doc = pygeoapi_config(port, tmp, title="bench", max_items=10000)
    # its fastest provider usable here: PostgreSQL/PostGIS (the SQLite/GeoPackage one needs a Python
    # built with loadable SQLite extensions, which this one is not)
    doc["resources"]["communes"]["providers"] = [
        {"type": "feature", "name": "PostgreSQL", "data": dsn, "id_field": "code", "table": "communes",
         "geom_field": "geom"}
    ]  # fmt: skip
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    pygeoapi = str(Path(sys.executable).parent / "pygeoapi")
    subprocess.run([pygeoapi, "openapi", "generate", str(config), "--output-file", str(openapi)], env=env, check=True)
    cmd = [sys.executable, "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--host", "127.0.0.1", "--port", str(port)]
    return [*cmd, "--workers", str(workers), "--no-access-log"], env


def features_of(ours: str) -> list[object]:
    features: list[object] = []
    while True:
        params = {"limit": 10000, "offset": len(features), "f": "json"}
        page = httpx.get(f"{ours}{OURS_OGC}", params=params, timeout=600).raise_for_status().json()["features"]
        features += page
        if len(page) < 10000:
            return features


@contextmanager
def postgis_table(tmp: Path, features: list[object]) -> Iterator[dict[str, str]]:
    """The features territoria serves, in a PostGIS table written by ogr2ogr (same order, same
    geometry, a primary key, a spatial index and an index on the id field), in a database of its own
    dropped on exit."""
    base, server = postgres_dsn(tmp)
    params = dict(item.split("=", 1) for item in base.split())
    name = f"territoria_bench_api_{os.getpid()}"
    try:
        with psycopg.connect(base, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name}")
            con.execute(f"CREATE DATABASE {name}")
        dsn = {**params, "dbname": name}
        with psycopg.connect(" ".join(f"{k}={v}" for k, v in dsn.items()), autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
        source = tmp / "communes.geojson"
        source.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
        pg = "PG:" + " ".join(f"{k}={v}" for k, v in dsn.items())
        load = ["ogr2ogr", "-f", "PostgreSQL", pg, str(source), "-nln", "communes", "-lco", "GEOMETRY_NAME=geom"]
        subprocess.run(load, check=True)
        source.unlink()
        with psycopg.connect(" ".join(f"{k}={v}" for k, v in dsn.items()), autocommit=True) as con:
            # pygeoapi pages in order of its id_field: what a DBA gives it is an index on that column
            con.execute("CREATE UNIQUE INDEX ON communes (code)")
            con.execute("ANALYZE communes")
        yield dsn
    finally:
        with psycopg.connect(base, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if server is not None:
            server.terminate()
            server.wait(30)


def ogc_round(
    base: str, pid: int, path: str, offsets: list[int], args: argparse.Namespace, database: str | None = None
) -> tuple[_load.Load, float]:
    paths = [f"{path}?limit=10&offset={o}&f=json" for o in offsets]
    return measured(base, pid, paths, args.ogc_concurrency, args.ogc_seconds, database)


Runs = list[tuple[_load.Load, float]]


def bench_ogc(ws: Workspace, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, serve_territoria(ws, args.workers) as (ours, our_pid):
        features = features_of(ours)
        total = len(features)
        with postgis_table(Path(tmp), features) as dsn:
            cmd, env = pygeoapi_cmd(Path(tmp), dsn, args.workers)
            with process(cmd, r"Uvicorn running on (http://127\.0\.0\.1:\d+)", env) as (_, peer_pid):
                peer = f"http://127.0.0.1:{cmd[cmd.index('--port') + 1]}"
                answering(peer + "/collections")
                ours_runs, peer_runs, per_round, warmed = alternate(
                    (ours, our_pid), (peer, peer_pid, dsn["dbname"]), total, args
                )
    print(
        f"(b) OGC API Features items (limit=10, random offsets) of {total} commune polygons (all France), "
        f"{args.ogc_concurrency} connections, {args.workers} workers each, {args.ogc_rounds} alternated rounds of "
        f"{args.ogc_seconds:.0f} s, {per_round} distinct offsets per round (territoria warm-up {warmed:.0f} s)  "
        f"[{loadavg()}]"
    )
    for name, runs in (("territoria", ours_runs), ("pygeoapi  ", peer_runs)):
        for load, cpu in runs:
            print(f"    {name} {describe(load, cpu)}")
    print("    (pygeoapi's server CPU includes its PostgreSQL backends')")
    ours_rps, peer_rps = median([load.rps for load, _ in ours_runs]), median([load.rps for load, _ in peer_runs])
    ours_cpu, peer_cpu = median([cpu for _, cpu in ours_runs]), median([cpu for _, cpu in peer_runs])
    ratio = ours_rps / peer_rps
    print(
        f"    median throughput: territoria {ours_rps:.0f} req/s, pygeoapi (PostgreSQL provider) {peer_rps:.0f} req/s"
    )
    print(f"    throughput ratio {ratio:.1f}x (goal >= 5x: {'met' if ratio >= 5 else 'NOT met'}); "
          f"server CPU per request ratio {peer_cpu / ours_cpu:.1f}x")  # fmt: skip


def bench_first(ws: Workspace, workers: int) -> None:
    """(c) The first OGC requests a fresh worker answers on the all-France layer: wall and server CPU
    milliseconds of each, in order (the publication is loaded first by a catalog request, so that
    what is timed is the OGC routes' own work)."""
    with serve_territoria(ws, workers) as (base, pid):
        answering(base + "/api/catalog")
        others = [c["id"] for c in httpx.get(f"{base}/ogc/collections", timeout=600).json()["collections"]]
    other = next(c for c in others if c != OURS_OGC.split("/")[3])
    steps = [
        ("items of contours-communes, first", OURS_OGC + "?limit=10"),
        ("items of contours-communes, again", OURS_OGC + "?limit=10&offset=20000"),
        (f"items of {other}, first", f"/ogc/collections/{other}/items?limit=10"),
        ("items of contours-communes, bbox (Rennes)", OURS_OGC + "?limit=10&bbox=-1.75,48.05,-1.6,48.15"),
        ("collections list", "/ogc/collections"),
    ]
    with serve_territoria(ws, workers) as (base, pid):
        answering(base + "/api/catalog")
        print(f"(c) first OGC requests of a fresh server ({workers} worker(s), all-France layer)  [{loadavg()}]")
        for label, path in steps:
            cpu0, t0 = server_cpu(pid), time.perf_counter()
            r = httpx.get(base + path, timeout=600)
            wall, cpu = (time.perf_counter() - t0) * 1000, (server_cpu(pid) - cpu0) * 1000
            print(f"    {label:<45} HTTP {r.status_code}  {wall:8.1f} ms wall  {cpu:8.1f} ms server CPU")


def answering(url: str, limit_s: float = 120) -> None:
    """Wait for a server whose workers listen only once they have started (uvicorn's own ``--workers``)."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            httpx.get(url, timeout=limit_s).raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def alternate(
    ours: tuple[str, int], peer: tuple[str, int, str], total: int, args: argparse.Namespace
) -> tuple[Runs, Runs, int, float]:
    """Rounds of the peer then territoria on the same offsets; each round reads offsets no earlier
    round read, so territoria's response cache cannot answer them."""
    mine = httpx.get(f"{ours[0]}{OURS_OGC}", params={"limit": 10, "offset": 1000}, timeout=300).json()
    theirs = httpx.get(f"{peer[0]}{PEER_OGC}", params={"limit": 10, "offset": 1000, "f": "json"}, timeout=120)
    same = [str(f["id"]) for f in theirs.json()["features"]]  # its id_field, out of the properties
    assert same == [f["properties"]["code"] for f in mine["features"]], (same, theirs.text[:500])
    offsets = random.Random(7).sample(range(total - 10), total - 10)
    per_round = len(offsets) // args.ogc_rounds
    warmed = warm(ours[0], [f"{OURS_OGC}?limit=1&offset={o}&f=json" for o in range(64)], args.ogc_concurrency)
    warm(peer[0], [f"{PEER_OGC}?limit=1&offset={o}&f=json" for o in range(64)], args.ogc_concurrency)
    ours_runs: Runs = []
    peer_runs: Runs = []
    for r in range(args.ogc_rounds):
        chunk = offsets[r * per_round : (r + 1) * per_round]
        peer_runs.append(ogc_round(peer[0], peer[1], PEER_OGC, chunk, args, database=peer[2]))
        ours_runs.append(ogc_round(*ours, OURS_OGC, chunk, args))
    return ours_runs, peer_runs, per_round, warmed


def loadavg() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="server processes (territoria and pygeoapi)")
    parser.add_argument("--ogc-seconds", type=float, default=5)
    parser.add_argument("--ogc-concurrency", type=int, default=16)
    parser.add_argument("--ogc-rounds", type=int, default=3)
    parser.add_argument("--skip-indicators", action="store_true")
    parser.add_argument("--skip-ogc", action="store_true")
    parser.add_argument(
        "--first", action="store_true", help="only (c): the first OGC requests of a fresh server (all France)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the built workspaces here and reuse them on the next run (never deleted)"
    )
    args = parser.parse_args()
    print(f"load generator: {_load.generator()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workdir or Path(tmp)
        if args.first:
            bench_first(workspace(root / "france", france), 1)
            return
        if not args.skip_indicators:
            bench_indicators(workspace(root / "demo", lambda d: built(init_demo_workspace(d))), args)
        if not args.skip_ogc:
            bench_ogc(workspace(root / "france", france), args)


def workspace(directory: Path, build: Callable[[Path], Workspace]) -> Workspace:
    if (directory / CONFIG).exists():
        print(f"reusing the workspace built in {directory}")
        return Workspace(directory)
    t0 = time.perf_counter()
    ws = build(directory)
    print(f"{ws.config.name}: workspace built in {time.perf_counter() - t0:.1f} s ({len(ws.config.communes)} communes)")
    return ws


if __name__ == "__main__":
    main()
