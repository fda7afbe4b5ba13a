"""End-to-end ingestion rate: MQTT (Mosquitto, QoS 1) -> observation store, against a naive peer.

territoria: the listener batches messages, writes Parquet partitions and acknowledges after
writing. Naive peer: what per-row SensorThings servers do, one INSERT per observation into
PostgreSQL as each message arrives (autocommit), also on QoS 1. Both consume the same uplinks
(LHT65 frames: temperature, humidity and battery, three observations each) published by a
separate process. Prints both rates, the ratio, and checks that nothing was lost or duplicated.

    .venv/bin/python bench/sensor_ingest.py [--uplinks 100000] [--naive-uplinks 10000]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from territoria.core.yamlio import write_yaml
from territoria.sensors.broker import PrivateBroker
from territoria.sensors.decoders import dragino_lht65, encode_lht65
from territoria.sensors.ingest import Ingestor, open_registry, store_for
from territoria.sensors.mqtt import Listener
from territoria.sensors.registry import REGISTRY
from territoria.testing.ports import free_port
from territoria.workspace import init_workspace

APP = "bench-app"
DEVICES = 100
PROFILE = {
    "decoder": "dragino_lht65",
    "sensor": {"name": "Dragino LHT65"},
    "measures": {
        "temperature": {"key": "TempC_SHT", "unit": "Cel", "min": -40.0, "max": 60.0},
        "humidity": {"key": "Hum_SHT", "unit": "%", "min": 0.0, "max": 100.0},
        "battery": {"key": "BatV", "unit": "V", "min": 2.0, "max": 3.7},
    },
}


def eui(n: int) -> str:
    return f"a8404100{n:08x}"


def payloads(count: int, app: str) -> list[tuple[str, bytes]]:
    out = []
    for i in range(count):
        dev, slot = i % DEVICES, i // DEVICES
        seconds = 1_751_328_000 + slot * 600 + dev  # from 2025-07-01
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".000000000+00:00"
        data = base64.b64encode(encode_lht65(15 + (i % 150) / 10, 40 + i % 50, 3.05)).decode()
        body = {
            "time": when,
            "deviceInfo": {"applicationId": app, "devEui": eui(dev), "deviceProfileName": "LHT65"},
            "fCnt": slot,
            "fPort": 2,
            "data": data,
            "rxInfo": [{"gatewayId": "0010502df4563610", "rssi": -95, "snr": 7.5}],
        }
        out.append((f"application/{app}/device/{eui(dev)}/event/up", json.dumps(body).encode()))
    return out


def publish(port: int, app: str, count: int, ready: Any, started: Any) -> None:
    messages = payloads(count, app)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{app}", protocol=MQTTProtocolVersion.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    acked = [0]
    client.on_publish = lambda *_: acked.__setitem__(0, acked[0] + 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.set()
    started.wait()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    deadline = time.monotonic() + 600
    while acked[0] < count and time.monotonic() < deadline:
        time.sleep(0.01)
    client.loop_stop()
    client.disconnect()


def start_publisher(port: int, app: str, count: int) -> tuple[mp.Process, Any]:
    ctx = mp.get_context("spawn")
    ready, started = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=publish, args=(port, app, count, ready, started), daemon=True)
    proc.start()
    ready.wait(120)
    return proc, started


def run_territoria(port: int, root: Path, uplinks: int) -> tuple[float, int, int]:
    ws = init_workspace(root / "ws", communes=["35238"], name="bench")
    devices = [
        {"dev_eui": eui(n), "thing": f"t{n}", "profile": "LHT65", "location": {"lon": -1.68, "lat": 48.11}}
        for n in range(DEVICES)
    ]
    (ws.root / REGISTRY).parent.mkdir(exist_ok=True)
    write_yaml(
        ws.root / REGISTRY,
        {"broker": {"port": port, "application_id": APP, "client_id": "bench-territoria"},
         "profiles": {"LHT65": PROFILE}, "devices": devices},
    )  # fmt: skip
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    store = store_for(ws.private)
    proc, started = start_publisher(port, APP, uplinks)
    listener = Listener(registry, store, flush_interval=0.5, batch_max=50_000)
    stop = threading.Event()
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)
        thread = threading.Thread(target=listener.run, args=(stop, ingestor), daemon=True)
        thread.start()
        while not listener.state.connected:
            time.sleep(0.01)
        time.sleep(0.3)
        t0 = time.perf_counter()
        started.set()
        deadline = t0 + 600
        while ingestor.report.stored < 3 * uplinks and time.perf_counter() < deadline:
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        stop.set()
        thread.join(60)
    proc.join(60)
    files = [str(p) for p in store.obs_files()]
    rows, distinct = duckdb.sql(
        f"SELECT count(*), count(DISTINCT (datastream, time)) FROM read_parquet({files!r})"
    ).fetchone() or (0, 0)
    return elapsed, int(rows), int(distinct)


def postgres_dsn(root: Path) -> tuple[str, subprocess.Popen[bytes] | None]:
    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2).close()
        return "host=127.0.0.1 port=5432 user=postgres dbname=postgres", None
    except psycopg.OperationalError:
        pass
    bindir = Path("/usr/lib/postgresql/15/bin")
    data, port = root / "pg", free_port()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data.mkdir()
    if as_pg:
        root.chmod(0o755)  # the postgres user must reach its data directory
        shutil.chown(data, "postgres")
    initdb = [*as_pg, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run(initdb, check=True, capture_output=True)
    server = [*as_pg, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data)]
    proc = subprocess.Popen([*server, "-c", "listen_addresses=127.0.0.1"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", connect_timeout=1).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.2)
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres", proc


def run_naive(port: int, dsn: str, uplinks: int) -> tuple[float, int]:
    table = f"bench_naive_obs_{os.getpid()}"
    con = psycopg.connect(dsn, autocommit=True)
    con.execute(f"CREATE TABLE {table} (datastream TEXT, phenomenon_time TIMESTAMPTZ, result DOUBLE PRECISION)")
    done = threading.Event()
    count = [0]

    def on_message(client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        body = json.loads(msg.payload)
        values = dragino_lht65(base64.b64decode(body["data"]))
        dev = body["deviceInfo"]["devEui"]
        for key in ("TempC_SHT", "Hum_SHT", "BatV"):
            con.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)", (f"{dev}:{key}", body["time"], values[key]))
        count[0] += 1
        if count[0] == uplinks:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-naive", protocol=MQTTProtocolVersion.MQTTv5)
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe("application/naive/device/+/event/up", qos=1)
    client.loop_start()
    time.sleep(0.3)
    proc, started = start_publisher(port, "naive", uplinks)
    t0 = time.perf_counter()
    started.set()
    done.wait(600)
    elapsed = time.perf_counter() - t0
    client.loop_stop()
    client.disconnect()
    proc.join(60)
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    con.execute(f"DROP TABLE {table}")
    con.close()
    return elapsed, int(rows[0]) if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uplinks", type=int, default=100_000)
    parser.add_argument("--naive-uplinks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="territoria-bench-") as tmp:
        root = Path(tmp)
        broker = PrivateBroker(root / "mosquitto")
        broker.start()
        pg_proc = None
        try:
            elapsed, rows, distinct = run_territoria(broker.port, root, args.uplinks)
            ours = rows / elapsed
            print(f"territoria  : {args.uplinks:,} uplinks -> {rows:,} observations ({distinct:,} distinct) "
                  f"in {elapsed:.2f} s = {ours:,.0f} obs/s")  # fmt: skip
            dsn, pg_proc = postgres_dsn(root)
            n_elapsed, n_rows = run_naive(broker.port, dsn, args.naive_uplinks)
            naive = n_rows / n_elapsed
            print(f"naive (PG)  : {args.naive_uplinks:,} uplinks -> {n_rows:,} rows, one INSERT each, "
                  f"in {n_elapsed:.2f} s = {naive:,.0f} obs/s")  # fmt: skip
            print(f"ratio       : {ours / naive:.1f}x")
            lost = 3 * args.uplinks - distinct
            print(f"loss        : {lost} lost, {rows - distinct} duplicated (goal: 0 and 0)")
            print(f"goals       : >= 20,000 obs/s {'met' if ours >= 20_000 else 'NOT met'}, "
                  f">= 4x naive {'met' if ours >= 4 * naive else 'NOT met'}")  # fmt: skip
        finally:
            broker.stop()
            if pg_proc is not None:
                pg_proc.terminate()
                pg_proc.wait(30)


if __name__ == "__main__":
    main()
