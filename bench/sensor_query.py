"""Daily means for all sensors through the SensorThings API, against a naive peer.

One year of 10-minute temperature readings for 100 sensors (52,560 × 100 ≈ 5.3 million
observations) is written through the store (same writer as the listener, hourly aggregates
folded in as it goes). territoria answers ``GET /sta/v1.1/DailyAggregates`` over HTTP (uvicorn
on 127.0.0.1). The naive peer runs the same daily-mean query on the raw observations in
PostgreSQL (what a per-row SensorThings server has to do). Prints the first query after the
server starts (cold; the server builds the API's tables in its start-up, before it accepts
connections: that start time is printed too), warm queries, queries right after a write to the
store (the listener keeps writing while the API serves), SensorThings pages (Observations by
the path and the ``$filter=Datastream/@iot.id eq N`` forms, deep pages, Datastreams, Things with
their Datastreams), the peer's time, the ratio and the load average beside each figure.

    .venv/bin/python bench/sensor_query.py [--sensors 100] [--days 365]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import psutil
import psycopg
from sensor_ingest import postgres_dsn

from territoria.core.yamlio import write_yaml
from territoria.sensors.ingest import open_registry, store_for
from territoria.sensors.normalise import Batch, observation_key, uplink_key
from territoria.sensors.registry import REGISTRY
from territoria.testing.ports import free_port
from territoria.workspace import init_workspace

PROFILE = {
    "sensor": {"name": "bench sensor"},
    "measures": {"temperature": {"key": "t", "unit": "Cel", "min": -40.0, "max": 60.0}},
}
START_US = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
STEP_US = 600 * 1_000_000


def build(root: Path, sensors: int, days: int) -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    ws = init_workspace(root / "ws", communes=["35238"], name="bench")
    devices = [
        {"dev_eui": f"b0000000{n:08x}", "thing": f"s{n}", "profile": "P", "location": {"lon": -1.68, "lat": 48.11}}
        for n in range(sensors)
    ]
    (ws.root / REGISTRY).parent.mkdir(exist_ok=True)
    write_yaml(ws.root / REGISTRY, {"profiles": {"P": PROFILE}, "devices": devices})
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    streams = [registry.by_eui[d["dev_eui"]][0].streams["temperature"][0] for d in devices]
    slots = days * 144
    rng = np.random.default_rng(7)
    t = np.arange(slots) * STEP_US + START_US
    hours = (np.arange(slots) % 144) / 6
    base = 12 + 8 * np.sin((np.arange(slots) / 144 - 100) / 365 * 2 * np.pi) + 5 * np.cos((hours - 15) / 24 * 2 * np.pi)
    all_ds, all_t, all_v = [], [], []
    store = store_for(ws.private)
    with store.writer() as writer:
        chunk = 144 * 15
        for start in range(0, slots, chunk):
            batch = Batch()
            for n, dev in enumerate(devices):
                ts = t[start : start + chunk]
                vals = np.round(base[start : start + chunk] + rng.normal(0, 0.3, len(ts)), 2)
                batch.datastream += [streams[n]] * len(ts)
                batch.time_us += ts.tolist()
                batch.result += vals.tolist()
                batch.foi += [1] * len(ts)
                fc = list(range(start, start + len(ts)))
                batch.fcnt += fc
                batch.key += [
                    observation_key(uplink_key(dev["dev_eui"], f, tu), streams[n])
                    for f, tu in zip(fc, ts.tolist(), strict=True)
                ]
                all_ds.append(np.full(len(ts), streams[n]))
                all_t.append(ts)
                all_v.append(vals)
            writer.append(batch, 0)
        writer.compact(min_files=2)
    return ws, np.concatenate(all_ds), np.concatenate(all_t), np.concatenate(all_v)


SERVER = """
import sys, uvicorn
from pathlib import Path
from fastapi import FastAPI
from territoria.sensors.sta.router import router
from territoria.workspace import Workspace
app = FastAPI()
app.include_router(router(Workspace(Path(sys.argv[1]))))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def serve(root: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """The API in its own process, as deployed: the client's JSON parsing does not share its GIL."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(root), str(port)])
    base = f"http://127.0.0.1:{port}/sta/v1.1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(base, timeout=1).raise_for_status()
            print(f"server      : answers {time.perf_counter() - started:.2f} s after its process starts "
                  f"(imports, then the API's tables built before it takes connections)  [{load()}]")  # fmt: skip
            return base, proc
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the API server did not start")


#: the server's CPU seconds spent in each timed call (filled when ``timed`` is given the server)
SERVER_CPU: list[float] = []


def timed(fn: object, repeat: int, server: psutil.Process | None = None) -> list[float]:
    """Wall seconds of each call; with ``server``, its CPU seconds go to ``SERVER_CPU`` (a figure the
    machine's load inflates far less than wall time on a shared machine)."""
    out = []
    for _ in range(repeat):
        c0 = sum(server.cpu_times()[:2]) if server else 0.0
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
        if server:
            SERVER_CPU.append(sum(server.cpu_times()[:2]) - c0)
    return out


def cpu_ms(start: int) -> str:
    """Median server CPU of the calls recorded since ``start``."""
    return f"{statistics.median(SERVER_CPU[start:]) * 1000:.0f} ms server CPU"


def naive_postgres(dsn: str, ds: np.ndarray, ts: np.ndarray, vals: np.ndarray, repeat: int) -> tuple[list[float], int]:
    table = "bench_query_obs"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} (datastream INTEGER, phenomenon_time TIMESTAMPTZ, result DOUBLE PRECISION)")
        buf = io.StringIO()
        stamps = np.datetime_as_string((ts // 1_000_000).astype("datetime64[s]"), unit="s")
        for d, s, v in zip(ds.tolist(), stamps.tolist(), vals.tolist(), strict=True):
            buf.write(f"{d}\t{s}+00\t{v}\n")
        with con.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(buf.getvalue())
        con.execute(f"CREATE INDEX ON {table} (datastream, phenomenon_time)")
        con.execute(f"ANALYZE {table}")
        sql = (
            f"SELECT datastream, (phenomenon_time AT TIME ZONE 'Europe/Paris')::date AS day, avg(result), count(*) "
            f"FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"
        )
        rows: list[tuple[object, ...]] = []

        def query() -> None:
            nonlocal rows
            rows = con.execute(sql).fetchall()

        times = timed(query, repeat)
        con.execute(f"DROP TABLE {table}")
    return times, len(rows)


def write_more(ws: object, sensors: int, slot: int) -> None:
    """One new 10-minute reading per sensor, through the store's writer (as the listener does)."""
    registry = open_registry(ws.root, ws.private, ws.config.communes)  # type: ignore[attr-defined]
    batch = Batch()
    when = START_US + slot * STEP_US
    for n in range(sensors):
        dev = f"b0000000{n:08x}"
        ds = registry.by_eui[dev][0].streams["temperature"][0]
        batch.datastream.append(ds)
        batch.time_us.append(when)
        batch.result.append(20.0 + n / 100)
        batch.foi.append(1)
        batch.fcnt.append(slot)
        batch.key.append(observation_key(uplink_key(dev, slot, when), ds))
    with store_for(ws.private).writer() as writer:  # type: ignore[attr-defined]
        writer.append(batch, 0)


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="territoria-bench-") as tmp:
        t0 = time.perf_counter()
        ws, ds, ts, vals = build(Path(tmp), args.sensors, args.days)
        print(f"store       : {len(vals):,} observations written in {time.perf_counter() - t0:.1f} s")
        base, server = serve(ws.root)  # type: ignore[attr-defined]
        rows: list[object] = []
        pages: dict[str, float] = {}
        with httpx.Client(timeout=120) as client:
            url = f"{base}/DailyAggregates?$top=200000&$select=Datastream@iot.id,phenomenonTime,mean,count"

            def query() -> None:
                nonlocal rows
                response = client.get(url)
                response.raise_for_status()
                rows = response.json()["value"]

            proc = psutil.Process(server.pid)
            cold = timed(query, 1, proc)[0]
            cold_cpu = cpu_ms(0)
            mark = len(SERVER_CPU)
            warm = timed(query, args.repeat, proc)
            warm_cpu = cpu_ms(mark)
            after = []
            mark = len(SERVER_CPU)
            for i in range(args.repeat):
                write_more(ws, args.sensors, args.days * 144 + i)
                after += timed(query, 1, proc)
            after_cpu = cpu_ms(mark)
            first = int(ds[0])
            for name, path in {
                "Observations, path form": f"/Datastreams({first})/Observations?$top=100",
                "Observations, $filter form": f"/Observations?$filter=Datastream/@iot.id eq {first}&$top=100",
                "Observations, $filter form, $skip=50000": f"/Observations?$filter=Datastream/@iot.id eq {first}"
                "&$top=100&$skip=50000",
                "Observations, all, $skip=1000000, $count": "/Observations?$top=100&$skip=1000000&$count=true",
                "Datastreams": "/Datastreams?$top=100",
                "Things with their Datastreams": "/Things?$top=100&$expand=Datastreams",
            }.items():
                mark = len(SERVER_CPU)
                took = min(timed(lambda p=path: client.get(base + p).raise_for_status(), args.repeat, proc))
                pages[name] = (took, cpu_ms(mark))
        server.terminate()
        server.wait(30)
        ours = statistics.median(warm)
        print(f"territoria  : {len(rows):,} daily means via GET /DailyAggregates: cold (first request "
              f"after the start) {cold * 1000:.0f} ms ({cold_cpu}); warm median {ours * 1000:.0f} ms ({warm_cpu}); "
              f"right after a write: median {statistics.median(after) * 1000:.0f} ms, max {max(after) * 1000:.0f} ms "
              f"({after_cpu})  [{load()}]")  # fmt: skip
        for name, (took, cpu) in pages.items():
            print(f"STA page    : {name}: best {took * 1000:.0f} ms, median {cpu}  [{load()}]")
        dsn, pg_proc = postgres_dsn(Path(tmp))
        try:
            naive, n_rows = naive_postgres(dsn, ds, ts, vals, args.repeat)
        finally:
            if pg_proc is not None:
                pg_proc.terminate()
                pg_proc.wait(30)
        theirs = statistics.median(naive)
        print(f"naive (PG)  : {n_rows:,} daily means by GROUP BY on raw rows: "
              f"median {theirs * 1000:.0f} ms  [{load()}]")  # fmt: skip
        worst = max(cold, ours, max(after))
        print(f"ratio       : {theirs / ours:.1f}x (warm); goal <= 300 ms cold, warm and after a write: "
              f"{'met' if worst <= 0.3 else 'NOT met'} (worst {worst * 1000:.0f} ms); "
              f"STA pages <= 50 ms: {'met' if max(t for t, _ in pages.values()) <= 0.05 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
