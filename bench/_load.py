"""HTTP load generators for the API benchmark: wrk (C, a Lua script cycling through a list of
paths) when it is installed, else httpx clients spread over processes (their CPU per request
exceeds the server's: the figures then measure the client as much as the server).

Both keep ``concurrency`` connections busy (closed loop: a connection sends its next request
when the previous answer arrived) and report latencies, throughput, errors and their own CPU.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

#: each wrk thread walks the list from its own starting point; ``done`` prints the figures as JSON
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
local i = 0
function init(args) i = tonumber(offset) or 0 end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    client_cpu_s: float
    client: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


def run(base: str, paths: list[str], concurrency: int, seconds: float, *, threads: int = 2) -> Load:
    if generator() == "wrk":
        return _wrk(base, paths, concurrency, seconds, threads)
    return _httpx(base, paths, concurrency, seconds, processes=4)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wrk(base: str, paths: list[str], concurrency: int, seconds: float, threads: int) -> Load:
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp) / "paths.lua", Path(tmp) / "paths.txt"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
        cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", str(script)]
        cpu0 = _children_cpu()  # wrk is reaped by ``run``: its CPU lands in RUSAGE_CHILDREN
        done = subprocess.run(
            [*cmd, base], capture_output=True, text=True, env={**os.environ, "WRK_PATHS": str(listing)}, check=True
        )
        cpu = _children_cpu() - cpu0
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(
        figures["requests"],
        figures["duration_us"] / 1e6,
        figures["p50_us"] / 1000,
        figures["p99_us"] / 1000,
        figures["errors"],
        cpu,
        f"wrk, {threads} threads",
    )


async def _client(base: str, paths: list[str], concurrency: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop_at = time.monotonic() + seconds

        async def worker(start: int) -> None:
            nonlocal errors
            i = start
            while time.monotonic() < stop_at:
                i = (i + 1) % len(paths)
                t0 = time.perf_counter()
                try:
                    r = await client.get(paths[i])
                except httpx.TransportError:  # e.g. a keep-alive connection closed by the server: counted
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        await asyncio.gather(*(worker(n * 7919) for n in range(concurrency)))
    return latencies, errors


def _client_process(args: tuple[str, list[str], int, float]) -> tuple[list[float], int, float]:
    t0 = time.process_time()
    latencies, errors = asyncio.run(_client(*args))
    return latencies, errors, time.process_time() - t0


def _httpx(base: str, paths: list[str], concurrency: int, seconds: float, processes: int) -> Load:
    conns = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        started = time.perf_counter()
        results = list(
            pool.map(_client_process, [(base, paths[i::processes], n, seconds) for i, n in enumerate(conns)])
        )
        elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r[0])
    return Load(
        len(latencies),
        elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
        sum(r[1] for r in results),
        sum(r[2] for r in results),
        f"httpx, {processes} processes (wrk not installed: the client's CPU dominates, install wrk)",
    )
