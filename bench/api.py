"""API benchmark on the demo workspace (Rennes Métropole, every pack), served by uvicorn.

(a) indicator queries at 64 concurrent connections: p50/p99 latency and throughput;
(b) OGC API Features items of the commune polygons, territoria vs pygeoapi (GeoJSON provider)
    serving the same features exported from the same publication: requests/s and the ratio.

Goals: indicator p99 <= 50 ms; OGC API Features throughput >= 5x pygeoapi.
Every server listens on 127.0.0.1; every load loop is bounded in requests and in time.

    python bench/api.py [--requests 6400] [--concurrency 64] [--ogc-requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from territoria.pipelines import run_pipeline
from territoria.testing.ports import free_port
from territoria.testing.pygeoapi import pygeoapi_config
from territoria.workspace import Workspace, init_demo_workspace

TIME_LIMIT_S = 90.0


def build_demo(root: Path) -> Workspace:
    ws = init_demo_workspace(root)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, command="demo")
    if summary.status != "success" or not summary.publication:
        raise SystemExit(f"demo run failed: {summary.status} {summary.publication_error}")
    return ws


@contextmanager
def process(cmd: list[str], ready: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """Start a server, wait for the base URL matched by ``ready``, stop it (by pid) on exit."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    try:
        deadline, seen = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise SystemExit("server exited:\n" + "".join(seen))
            seen.append(line)
            found = re.search(ready, line)
            if found:
                # Keep reading its output, or a chatty server blocks on a full pipe.
                threading.Thread(target=lambda: [None for _ in proc.stdout or []], daemon=True).start()
                yield found.group(1), proc.pid
                break
        else:
            raise SystemExit("server did not start:\n" + "".join(seen))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def cpu_seconds(pid: int) -> float:
    """CPU time of a server process: its cost per request does not depend on the machine's load."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def load(base: str, urls: list[str], concurrency: int) -> tuple[list[float], float, float, int]:
    """GET every URL (bounded by TIME_LIMIT_S) over ``concurrency`` connections.

    Returns the latencies (s), the wall-clock start and end (epoch s) and the error count.
    """
    latencies: list[float] = []
    errors = 0
    queue = iter(urls)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop_at = time.monotonic() + TIME_LIMIT_S

        async def worker() -> None:
            nonlocal errors
            for url in queue:
                if time.monotonic() > stop_at:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                except httpx.TransportError:  # e.g. a keep-alive connection closed by the server: counted
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        started = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, started, time.time(), errors


def _client_process(args: tuple[str, list[str], int]) -> tuple[list[float], float, float, int]:
    return asyncio.run(load(*args))


def run_load(base: str, urls: list[str], concurrency: int, processes: int) -> tuple[list[float], float, int]:
    """Spread ``concurrency`` connections over ``processes`` client processes, so that the
    load generator (httpx costs more CPU per request than the server) is not what is measured."""
    chunks = [urls[i::processes] for i in range(processes)]
    conns = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        list(pool.map(_client_process, [(base, c[:20], n) for c, n in zip(chunks, conns, strict=True)]))  # warm-up
        results = list(pool.map(_client_process, [(base, c, n) for c, n in zip(chunks, conns, strict=True)]))
    latencies = [x for r in results for x in r[0]]
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    return latencies, elapsed, sum(r[3] for r in results)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def indicator_urls(base: str, n: int, rng: random.Random) -> list[str]:
    indicators = [i for i in httpx.get(f"{base}/api/indicators", timeout=120).json() if i["readable"]]  # anonymous
    communes = [f["properties"]["code"] for f in httpx.get(f"{base}/api/geo/communes", timeout=120).json()["features"]]
    urls = []
    for _ in range(n):
        ind = rng.choice(indicators)
        period = rng.choice(ind["periods"]) if ind["periods"] else ""
        kind = rng.random()
        if kind < 0.5:
            urls.append(f"/api/indicators/{ind['id']}/values?mesh=commune&code={rng.choice(communes)}&period={period}")
        elif kind < 0.8:
            urls.append(f"/api/indicators/{ind['id']}/values?mesh=commune&period={period}")
        else:
            urls.append(f"/api/indicators/{ind['id']}/values?mesh=epci")
    return urls


def bench_indicators(base: str, pid: int, n: int, concurrency: int, processes: int) -> None:
    rng = random.Random(5)
    urls = indicator_urls(base, n, rng)
    cpu0 = cpu_seconds(pid)
    lat, elapsed, errors = run_load(base, urls, concurrency, processes)
    cpu = (cpu_seconds(pid) - cpu0) / len(lat) * 1000
    p50, p99 = pct(lat, 50) * 1000, pct(lat, 99) * 1000
    print(
        f"(a) indicator values, {len(lat)} requests at {concurrency} concurrent connections "
        f"({processes} httpx client processes), {errors} errors"
    )
    print(f"    p50 {p50:.1f} ms   p99 {p99:.1f} ms   throughput {len(lat) / elapsed:.0f} req/s")
    print(f"    server CPU {cpu:.2f} ms per request")
    print(f"    goal p99 <= 50 ms: {'met' if p99 <= 50 else 'NOT met'}")


def start_pygeoapi(tmp: Path, features: dict[str, object]) -> tuple[list[str], dict[str, str]]:
    import yaml

    data = tmp / "communes.geojson"
    data.write_text(json.dumps(features), encoding="utf-8")
    port = free_port()
    config, openapi = tmp / "pygeoapi.yml", tmp / "pygeoapi-openapi.yml"
    config.write_text(yaml.safe_dump(pygeoapi_config(port, data, title="bench", max_items=10000)), encoding="utf-8")
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    pygeoapi = str(Path(sys.executable).parent / "pygeoapi")
    subprocess.run([pygeoapi, "openapi", "generate", str(config), "--output-file", str(openapi)], env=env, check=True)
    cmd = [sys.executable, "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--host", "127.0.0.1", "--port", str(port)]
    return cmd, env


def ogc_rps(
    base: str, pid: int, path: str, n: int, total: int, concurrency: int, processes: int
) -> tuple[float, int, float, float]:
    rng = random.Random(7)
    urls = [f"{path}?limit=10&offset={rng.randrange(0, max(1, total - 10))}&f=json" for _ in range(n)]
    cpu0 = cpu_seconds(pid)
    lat, elapsed, errors = run_load(base, urls, concurrency, processes)
    cpu = (cpu_seconds(pid) - cpu0) / len(lat) * 1000
    return len(lat) / elapsed, errors, pct(lat, 99) * 1000, cpu


def bench_ogc(ours: str, our_pid: int, n: int, concurrency: int, processes: int) -> None:
    features = httpx.get(f"{ours}/ogc/collections/contours-communes/items", params={"limit": 10000}, timeout=300).json()
    total = len(features["features"])
    with tempfile.TemporaryDirectory() as tmp:
        cmd, env = start_pygeoapi(Path(tmp), {"type": "FeatureCollection", "features": features["features"]})
        with process(cmd, r"Uvicorn running on (http://127\.0\.0\.1:\d+)", env) as (peer, peer_pid):
            params = {"limit": 10, "f": "json"}
            check = httpx.get(f"{peer}/collections/communes/items", params=params, timeout=120).json()
            assert len(check["features"]) == 10, check
            peer_rps, peer_err, peer_p99, peer_cpu = ogc_rps(
                peer, peer_pid, "/collections/communes/items", n, total, concurrency, processes
            )
        our_rps, our_err, our_p99, our_cpu = ogc_rps(
            ours, our_pid, "/ogc/collections/contours-communes/items", n, total, concurrency, processes
        )
    print(
        f"(b) OGC API Features items (limit=10, random offsets) of {total} commune polygons, "
        f"{concurrency} connections ({processes} client processes)"
    )
    print(
        f"    territoria {our_rps:.0f} req/s (p99 {our_p99:.1f} ms, {our_err} errors, server CPU {our_cpu:.2f} ms/req)"
    )
    print(f"    pygeoapi   {peer_rps:.0f} req/s (p99 {peer_p99:.1f} ms, {peer_err} errors, ", end="")
    print(f"server CPU {peer_cpu:.2f} ms/req)")
    ratio = our_rps / peer_rps
    print(f"    throughput ratio {ratio:.1f}x (goal >= 5x: {'met' if ratio >= 5 else 'NOT met'})")
    print(f"    server CPU per request ratio {peer_cpu / our_cpu:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=6400)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ogc-requests", type=int, default=2000)
    parser.add_argument("--ogc-concurrency", type=int, default=16)
    parser.add_argument("--client-processes", type=int, default=4, help="load generator processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ws = build_demo(Path(tmp) / "demo")
        print(f"demo workspace built in {time.perf_counter() - t0:.1f} s ({len(ws.config.communes)} communes)")
        cmd = [sys.executable, "-m", "territoria.cli.main", "serve", "-w", str(ws.root), "--port", "0"]
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        with process(cmd, r"(http://127\.0\.0\.1:\d+)/") as (ours, pid):
            bench_indicators(ours, pid, args.requests, args.concurrency, args.client_processes)
            bench_ogc(ours, pid, args.ogc_requests, args.ogc_concurrency, args.client_processes)
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
