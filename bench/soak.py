"""Soak: ``territoria up`` for a bounded time with sensors streaming and a source changing.

A small workspace (three communes of Rennes Métropole, the territory and climate adaptation
packs) with ``--devices`` LHT65 sensors publishing to a private Mosquitto (QoS 1, one uplink per
device every ``--every`` seconds, 1 % of them sent twice as a gateway would), the population file
changed every ``--change-every`` seconds, and one source scheduled by a cron override every
minute. At the end (SIGTERM), it prints:

- memory: resident size of the process after warm-up and at the end, and per quarter its floor
  (between runs), median and peak, with the growth of the floor and median;
- schedules: checks of the every-minute source expected, made, and counted missed by the supervisor;
- file changes: made, and runs triggered by them;
- observations: sent (distinct), stored, lost, and repeats recognised (goal: 0 lost, 0 extra).

    .venv/bin/python bench/soak.py [--minutes 10] [--devices 20] [--every 2]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion

from territoria.core.yamlio import write_yaml
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.sensors.broker import PrivateBroker
from territoria.sensors.decoders import encode_lht65
from territoria.sensors.ingest import store_for
from territoria.sensors.registry import REGISTRY
from territoria.testing.lorawan import LHT65_PROFILE
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.policies import FILE, load_policies

APP = "3ef9e6b9-0000-4000-8000-00000000050a"
EVERY_MINUTE = "communes-referentiel"
MEASURES = 2  # temperature and humidity per LHT65 uplink, as the profile below declares


def eui(n: int) -> str:
    return f"a84041{n:010x}"


def workspace(root: Path, devices: int, port: int) -> Workspace:
    ws = init_workspace(root, communes=["35238", "35047", "35206"], packs=["territory", "climate_adaptation"])
    (ws.root / REGISTRY).parent.mkdir(parents=True, exist_ok=True)
    devs = [
        {"dev_eui": eui(n), "thing": f"capteur-{n}", "profile": "LHT65",
         "location": {"lon": -1.6778 + (n % 5) * 0.002, "lat": 48.1113 + (n // 5) * 0.002},
         "valid_from": "2025-01-01T00:00:00Z", "properties": {"role": "urbain"}}
        for n in range(devices)
    ]  # fmt: skip
    write_yaml(
        ws.root / REGISTRY,
        {
            "broker": {"host": "127.0.0.1", "port": port, "application_id": APP, "client_id": "soak-up"},
            "profiles": {"LHT65": LHT65_PROFILE},
            "devices": devs,
        },
    )
    policies = load_policies(ws.root / FILE).model_dump(mode="json", exclude_unset=True)
    policies["operations"] = {"schedules": {EVERY_MINUTE: "* * * * *"}, "sensors_debounce": "10s"}
    write_yaml(ws.root / FILE, policies)
    return ws


class Publisher(threading.Thread):
    """One uplink per device every ``every`` seconds; every 100th one is published twice."""

    def __init__(self, port: int, devices: int, every: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.devices, self.every, self.stop = port, devices, every, stop
        self.distinct = 0
        self.repeated = 0

    def run(self) -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="soak-publisher")
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        base = int(time.time()) - 86400
        fcnt = 0
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                fcnt += 1
                for n in range(self.devices):
                    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + fcnt * 60))
                    body = {
                        "deduplicationId": f"{eui(n)}-{fcnt}",
                        "time": when,
                        "deviceInfo": {"applicationId": APP, "devEui": eui(n), "deviceProfileName": "LHT65"},
                        "fCnt": fcnt,
                        "fPort": 2,
                        "data": base64.b64encode(encode_lht65(15.0 + (fcnt + n) % 20, 60.0)).decode(),
                    }
                    topic = f"application/{APP}/device/{eui(n)}/event/up"
                    payload = json.dumps(body).encode()
                    client.publish(topic, payload, qos=1).wait_for_publish(10)
                    self.distinct += 1
                    if (fcnt * self.devices + n) % 100 == 0:
                        client.publish(topic, payload, qos=1).wait_for_publish(10)
                        self.repeated += 1
                self.stop.wait(max(0.0, self.every - (time.monotonic() - started)))
        finally:
            client.disconnect()
            client.loop_stop()


def bump(csv: Path) -> None:
    header, first, *rest = csv.read_text(encoding="utf-8-sig").splitlines()
    cols = first.split(";")
    cols[2] = str(int(cols[2].replace(" ", "")) + 1)
    csv.write_text("\ufeff" + "\n".join([header, ";".join(cols), *rest]) + "\n", encoding="utf-8")


def read_events(stream: Any, events: queue.Queue[dict[str, Any]]) -> None:
    for raw in stream:
        try:
            events.put(json.loads(raw))
        except ValueError:
            continue


def metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between two uplinks of a device")
    parser.add_argument("--change-every", type=float, default=30.0, help="seconds between two source changes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="territoria-soak-") as tmp:
        broker = PrivateBroker(Path(tmp) / "mosquitto")
        broker.start()
        ws = workspace(Path(tmp) / "ws", args.devices, broker.port)
        admin = AccessStore(ws.private / ACCESS_DB).add("soak", "admin", None)[1]
        env = {**os.environ, "TERRITORIA_FOOTPRINT_METER": "off"}
        up = subprocess.Popen(
            [sys.executable, "-m", "territoria.cli.main", "up", "-w", str(ws.root), "--port", "0", "--log-json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=read_events, args=(up.stderr, events), daemon=True).start()
        stop = threading.Event()
        publisher = Publisher(broker.port, args.devices, args.every, stop)
        log: list[dict[str, Any]] = []
        port = None
        try:
            while port is None:
                event = events.get(timeout=60)
                log.append(event)
                port = event.get("port") if event.get("event") == "api.listening" else None
            deadline = time.monotonic() + 60
            while httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("territoria up is not ready (no publication, or not subscribed to the broker)")
                time.sleep(0.2)
            time.sleep(1.0)  # subscribed a moment after connecting: uplinks before that are the broker's to drop
            started = time.monotonic()
            publisher.start()
            proc = psutil.Process(up.pid)
            rss: list[tuple[float, int]] = []
            changes = 0
            next_change = started + args.change_every
            end = started + args.minutes * 60
            while time.monotonic() < end:
                if time.monotonic() >= next_change:
                    bump(ws.root / "data" / "population-communes.csv")
                    changes += 1
                    next_change += args.change_every
                rss.append((time.monotonic() - started, proc.memory_info().rss))
                try:
                    while True:
                        log.append(events.get(timeout=1.0))
                except queue.Empty:
                    pass
            stop.set()
            publisher.join(30)
            time.sleep(3)  # the listener's last flush
            scraped = httpx.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {admin}"}, timeout=10
            ).text
        finally:
            stop.set()
            up.send_signal(signal.SIGTERM)
            code = up.wait(120)
            broker.stop()
        while not events.empty():
            log.append(events.get())
        stats = store_for(ws.private).stats()

    runs = [e for e in log if e.get("event") == "run.finished"]
    by_trigger: dict[str, int] = {}
    for r in runs:
        by_trigger[r["trigger"]] = by_trigger.get(r["trigger"], 0) + 1
    warm = [v for t, v in rss if t >= 30] or [v for _, v in rss]
    scheduled = sum(1 for r in runs if EVERY_MINUTE in r.get("sources", []) and "schedule" in r["trigger"])
    expected_obs = publisher.distinct * MEASURES
    stored = int(stats.get("stored", 0))
    print(f"soak: {args.minutes:g} min, {args.devices} sensors every {args.every:g} s, a source change every "
          f"{args.change_every:g} s; exit code {code} after SIGTERM")  # fmt: skip
    mib = 2**20
    print(f"memory      : {warm[0] / mib:.1f} MiB after warm-up -> {warm[-1] / mib:.1f} MiB at the end "
          f"(peak {max(v for _, v in rss) / mib:.1f} MiB)")  # fmt: skip
    # A run lifts the resident size by ~100 MiB for its duration, then gives it back: one sample
    # says little. The floor of each quarter (the size between runs) is what a leak lifts, linearly.
    size = max(1, len(warm) // 4)
    quarters = [sorted(warm[k * size : (k + 1) * size] or warm[-1:]) for k in range(4)]
    for label, pick in (("floor", lambda q: q[0]), ("median", lambda q: q[len(q) // 2]), ("peak", lambda q: q[-1])):
        trend = " -> ".join(f"{pick(q) / mib:.0f}" for q in quarters)
        print(f"memory {label:<6}: {trend} MiB by quarter after warm-up")
    print(f"memory growth: floor {(quarters[-1][0] - quarters[0][0]) / mib:+.1f} MiB, median "
          f"{(quarters[-1][len(quarters[-1]) // 2] - quarters[0][len(quarters[0]) // 2]) / mib:+.1f} MiB "
          "from the first quarter to the last")  # fmt: skip
    print(f"runs        : {len(runs)} ({', '.join(f'{k}: {v}' for k, v in sorted(by_trigger.items()))}), "
          f"{sum(1 for r in runs if r['status'] != 'success')} not successful")  # fmt: skip
    print(f"schedules   : every-minute source checked {scheduled} times by schedule in {args.minutes:g} min; "
          f"missed (started > 60 s late): {metric(scraped, 'territoria_schedule_missed'):.0f}")  # fmt: skip
    changed = sum(1 for r in runs if "change" in r["trigger"].split("+"))
    print(f"file changes: {changes} made, {changed} runs triggered by a change")
    for r in runs:
        if r["status"] != "success":
            for step, error in r.get("failed", {}).items():
                print(f"  run {r['run_id']} ({r['trigger']}): {step} failed: {error}")
    print(f"observations: {publisher.distinct} distinct uplinks sent ({expected_obs} observations), "
          f"{publisher.repeated} sent twice; stored {stored}, lost {expected_obs - stored}, "
          f"repeats recognised {stats.get('duplicates', 0)}")  # fmt: skip
    print(f"mqtt        : last lag {metric(scraped, 'territoria_mqtt_lag_seconds'):.3f} s, "
          f"queue depth {metric(scraped, 'territoria_mqtt_queue_depth'):.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
