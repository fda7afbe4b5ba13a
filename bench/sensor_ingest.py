"""End-to-end ingestion rate: MQTT (Mosquitto, QoS 1) -> observation store, against a naive peer.

territoria: the listener batches messages, writes Parquet partitions, fsyncs them (files and
directories) and acknowledges after. Peer with the same durability: PostgreSQL fed in batches
(``executemany`` in one transaction, ``synchronous_commit = on``), messages acknowledged after
the commit. Both consume the same uplinks (LHT65 frames: temperature, humidity and battery, three
observations each) published by a separate process with a bounded window of unacknowledged
messages while the consumer's persistent session is away; the consumer then drains that backlog
and the drain is timed (the single Python publisher would otherwise bound both). Both read MQTT with
territoria's own subscriber (``sensors/subscriber.py``). Wall time and CPU time (the peer's
includes its PostgreSQL backend's) are printed: on a shared machine CPU compares better. Runs alternate
(territoria, peer, territoria, ...) and the best of ``--repeat`` is kept;
prints both rates, the ratio, the load average, and checks that nothing was lost or duplicated.

    .venv/bin/python bench/sensor_ingest.py [--uplinks 100000] [--naive-uplinks 30000] [--repeat 2]
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
import psutil
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from territoria.core.yamlio import write_yaml
from territoria.sensors.broker import PrivateBroker
from territoria.sensors.decoders import dragino_lht65, encode_lht65
from territoria.sensors.ingest import Ingestor, open_registry, store_for
from territoria.sensors.mqtt import Listener
from territoria.sensors.registry import REGISTRY
from territoria.sensors.subscriber import Endpoint, Subscriber
from territoria.testing.ports import free_port
from territoria.workspace import init_workspace

APP = "bench-app"
DEVICES = 100
#: unacknowledged QoS 1 messages the publisher keeps in flight (well under the 65,535 packet ids)
INFLIGHT = 1000
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
    """Publish ``count`` uplinks on QoS 1 with at most ``INFLIGHT`` unacknowledged at once.

    MQTT packet ids are 16-bit: queueing every message up front makes ids wrap at 65,535 and
    later messages overwrite unsent ones. A semaphore released by each PUBACK bounds what is in
    flight, as a real gateway does.
    """
    messages = payloads(count, app)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{app}", protocol=MQTTProtocolVersion.MQTTv5)
    client.max_inflight_messages_set(INFLIGHT)
    client.max_queued_messages_set(INFLIGHT)
    window = threading.BoundedSemaphore(INFLIGHT)
    acked = [0]

    def on_publish(*_: Any) -> None:
        acked[0] += 1
        window.release()

    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.set()
    started.wait()
    for topic, payload in messages:
        if not window.acquire(timeout=600):
            raise RuntimeError("no PUBACK for 10 minutes: the subscriber stopped acknowledging")
        info = client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish failed: {mqtt.error_string(info.rc)}")
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


def backlog(port: int, client_id: str, topic: str, app: str, count: int) -> None:
    """Open ``client_id``'s persistent session, then publish ``count`` uplinks while it is away.

    The broker queues them (QoS 1); the consumer then drains the backlog as fast as it can, as after
    an outage or at a peak. What is timed is the consumer, not the one Python publisher.
    """
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    client.subscribe(topic, qos=1)
    if not subscribed.wait(30):
        raise RuntimeError("the broker did not confirm the subscription")
    client.disconnect()
    client.loop_stop()
    proc, started = start_publisher(port, app, count)
    started.set()
    proc.join(900)


def run_territoria(port: int, root: Path, uplinks: int, run: int) -> tuple[float, int, int, float, int]:
    app = f"{APP}-{run}"
    ws = init_workspace(root / f"ws{run}", communes=["35238"], name="bench")
    devices = [
        {"dev_eui": eui(n), "thing": f"t{n}", "profile": "LHT65", "location": {"lon": -1.68, "lat": 48.11}}
        for n in range(DEVICES)
    ]
    (ws.root / REGISTRY).parent.mkdir(exist_ok=True)
    write_yaml(
        ws.root / REGISTRY,
        {"broker": {"port": port, "application_id": app, "client_id": f"bench-territoria-{run}"},
         "profiles": {"LHT65": PROFILE}, "devices": devices},
    )  # fmt: skip
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    store = store_for(ws.private)
    backlog(port, f"bench-territoria-{run}", f"application/{app}/device/+/event/up", app, uplinks)
    listener = Listener(registry, store, flush_interval=0.5, batch_max=50_000)
    stop = threading.Event()
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)
        thread = threading.Thread(target=listener.run, args=(stop, ingestor), daemon=True)
        thread.start()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        deadline = t0 + 600
        while ingestor.report.stored < 3 * uplinks and time.perf_counter() < deadline:
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stop.set()
        thread.join(60)
    files = [str(p) for p in store.obs_files()]
    rows, distinct = duckdb.sql(
        f"SELECT count(*), count(DISTINCT (datastream, time)) FROM read_parquet({files!r})"
    ).fetchone() or (0, 0)
    return elapsed, int(rows), int(distinct), cpu, ingestor.flushes


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


def run_naive(port: int, dsn: str, uplinks: int, run: int) -> tuple[float, int, float]:
    """The peer with the same durability: batches of observations committed to PostgreSQL
    (``synchronous_commit = on``, so the WAL is fsync'd at each commit), QoS 1 messages
    acknowledged only after the commit holding them, like the territoria listener. It reads MQTT
    with the same lean subscriber as territoria (not paho), so neither is bounded by the client.
    Returns (seconds, rows, CPU seconds of this process and of the PostgreSQL backend)."""
    table = f"bench_naive_obs_{os.getpid()}_{run}"
    con = psycopg.connect(dsn)
    con.execute("SET synchronous_commit = on")
    con.execute(f"CREATE TABLE {table} (datastream TEXT, phenomenon_time TIMESTAMPTZ, result DOUBLE PRECISION)")
    con.commit()
    backend = psutil.Process(con.info.backend_pid)
    lock, wake, done = threading.Lock(), threading.Event(), threading.Event()
    pending: list[tuple[int, int, bytes]] = []
    count = [0]

    def on_messages(generation: int, messages: list[tuple[int, str, bytes]]) -> None:
        with lock:
            pending.extend((generation, pid, payload) for pid, _topic, payload in messages)
            if len(pending) >= 50_000:
                wake.set()

    def flush(client: Subscriber) -> None:
        with lock:
            taken = pending[:]
            pending.clear()
        if not taken:
            return
        rows = []
        for _g, _pid, payload in taken:
            body = json.loads(payload)
            values = dragino_lht65(base64.b64decode(body["data"]))
            dev = body["deviceInfo"]["devEui"]
            rows.extend((f"{dev}:{key}", body["time"], values[key]) for key in ("TempC_SHT", "Hum_SHT", "BatV"))
        with con.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", rows)
        con.commit()
        by_generation: dict[int, list[int]] = {}
        for generation, pid, _p in taken:
            by_generation.setdefault(generation, []).append(pid)
        for generation, ids in by_generation.items():
            client.ack(generation, ids)
        count[0] += len(taken)
        if count[0] >= uplinks:
            done.set()

    topic = f"application/naive{run}/device/+/event/up"
    backlog(port, f"bench-naive-{run}", topic, f"naive{run}", uplinks)
    client = Subscriber(
        Endpoint("127.0.0.1", port, f"bench-naive-{run}", session_expiry=3600), [(topic, 1)], on_messages
    )
    cpu0 = time.process_time() + sum(backend.cpu_times()[:2])
    t0 = time.perf_counter()
    client.start()
    deadline = t0 + 600
    while not done.is_set() and time.perf_counter() < deadline:
        wake.wait(0.5)
        wake.clear()
        flush(client)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() + sum(backend.cpu_times()[:2]) - cpu0
    client.stop()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()
    return elapsed, int(rows[0]) if rows else 0, cpu


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uplinks", type=int, default=100_000)
    parser.add_argument("--naive-uplinks", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=2, help="alternated runs of each; the best is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="territoria-bench-") as tmp:
        root = Path(tmp)
        broker = PrivateBroker(root / "mosquitto")
        broker.start()
        pg_proc = None
        ours = naive = ours_cpu = naive_cpu = 0.0
        losses = []
        try:
            dsn, pg_proc = postgres_dsn(root)
            for run in range(args.repeat):
                elapsed, rows, distinct, cpu, batches = run_territoria(broker.port, root, args.uplinks, run)
                ours, ours_cpu = max(ours, rows / elapsed), max(ours_cpu, rows / cpu)
                losses.append((3 * args.uplinks - distinct, rows - distinct))
                print(f"territoria  : {args.uplinks:,} uplinks -> {rows:,} observations ({distinct:,} distinct) "
                      f"in {batches} batches, {elapsed:.2f} s = {rows / elapsed:,.0f} obs/s durable; CPU {cpu:.2f} s = "
                      f"{rows / cpu:,.0f} obs/CPU-s  [{load()}]", flush=True)  # fmt: skip
                n_elapsed, n_rows, n_cpu = run_naive(broker.port, dsn, args.naive_uplinks, run)
                naive, naive_cpu = max(naive, n_rows / n_elapsed), max(naive_cpu, n_rows / n_cpu)
                print(f"peer (PG)   : {args.naive_uplinks:,} uplinks -> {n_rows:,} rows, batched, synchronous_commit "
                      f"in {n_elapsed:.2f} s = {n_rows / n_elapsed:,.0f} obs/s durable; CPU (client + backend) "
                      f"{n_cpu:.2f} s = {n_rows / n_cpu:,.0f} obs/CPU-s  [{load()}]", flush=True)  # fmt: skip
            print(f"best        : territoria {ours:,.0f} obs/s, peer {naive:,.0f} obs/s, "
                  f"ratio {ours / naive:.1f}x  [{load()}]")  # fmt: skip
            print(f"best CPU    : territoria {ours_cpu:,.0f} obs/CPU-s, peer {naive_cpu:,.0f} obs/CPU-s, "
                  f"ratio {ours_cpu / naive_cpu:.1f}x")  # fmt: skip
            lost, dup = max(losses)
            print(f"loss        : {lost} lost, {dup} duplicated (goal: 0 and 0)")
            print(f"goals       : >= 20,000 obs/s {'met' if ours >= 20_000 else 'NOT met'}, "
                  f">= 4x peer {'met' if ours >= 4 * naive else 'NOT met'}")  # fmt: skip
        finally:
            broker.stop()
            if pg_proc is not None:
                pg_proc.terminate()
                pg_proc.wait(30)


if __name__ == "__main__":
    main()
