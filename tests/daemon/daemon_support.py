"""Helpers of the supervisor tests: a small workspace with sensors, uplinks, a mailbox, and
``territoria up`` as a real process whose JSON log lines the test reads as they come."""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

from territoria.core.yamlio import read_yaml, write_yaml
from territoria.sensors.decoders import encode_lht65
from territoria.sensors.registry import REGISTRY
from territoria.testing.lorawan import LHT65_PROFILE
from territoria.workspace import Workspace, init_workspace

T = TypeVar("T")
APP = "3ef9e6b9-0000-4000-8000-0000000000d1"
DEVICES = {"a840410000000011": ("rennes-centre", (-1.6778, 48.1113)), "a840410000000012": ("bruz", (-1.7470, 48.0245))}


def write_devices(root: Path, port: int) -> None:
    """Point the workspace's device registry at the test broker and add the two test devices (the
    demo's own devices, already in its sensor store, stay listed)."""
    path = root / REGISTRY
    path.parent.mkdir(parents=True, exist_ok=True)
    registry = (read_yaml(path) or {}) if path.is_file() else {}
    registry["broker"] = {"host": "127.0.0.1", "port": port, "application_id": APP, "client_id": "territoria-up-test"}
    registry["profiles"] = {**(registry.get("profiles") or {}), "LHT65": LHT65_PROFILE}
    registry["devices"] = [
        *(d for d in registry.get("devices") or [] if d.get("dev_eui") not in DEVICES),
        *(
            {"dev_eui": eui, "thing": thing, "profile": "LHT65", "location": {"lon": lon, "lat": lat},
             "valid_from": "2025-01-01T00:00:00Z", "properties": {"role": "urbain"}}
            for eui, (thing, (lon, lat)) in DEVICES.items()
        ),
    ]  # fmt: skip
    write_yaml(path, registry)


def uplinks(fcnt0: int, hour: str) -> list[tuple[str, bytes]]:
    """One uplink per device, at ``hour`` (ISO, UTC)."""
    out = []
    for eui in DEVICES:
        body = {
            "deduplicationId": f"{eui}-{fcnt0}",
            "time": hour,
            "deviceInfo": {"applicationId": APP, "devEui": eui, "deviceProfileName": "LHT65"},
            "fCnt": fcnt0,
            "fPort": 2,
            "data": base64.b64encode(encode_lht65(21.0 + fcnt0 % 7, 55.0)).decode(),
        }
        out.append((f"application/{APP}/device/{eui}/event/up", json.dumps(body).encode()))
    return out


def publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{os.getpid()}-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: queue.Queue[Message] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.put(message_from_bytes(envelope.content))
        return "250 OK"

    def wait(self, predicate: Callable[[Message], bool], timeout: float) -> Message:
        found = first(self.messages, predicate, timeout)
        if found is None:
            raise AssertionError("no such e-mail arrived")
        return found


def first(items: queue.Queue[T], predicate: Callable[[T], bool], timeout: float) -> T | None:
    """The first item of ``items`` (skipping the others) that ``predicate`` accepts within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            item = items.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if predicate(item):
            return item
    return None


def small_workspace(root: Path) -> Workspace:
    """Three communes of Rennes Métropole with the territory and climate adaptation packs."""
    return init_workspace(root, communes=["35238", "35047", "35206"], packs=["territory", "climate_adaptation"])


class UpProcess:
    """``territoria up --log-json`` in a subprocess; its log events are read in a thread."""

    def __init__(self, ws: Path, *args: str) -> None:
        env = {**os.environ, "TERRITORIA_FOOTPRINT_METER": "off"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "territoria.cli.main", "up", "-w", str(ws), "--port", "0", "--log-json", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").strip()
            self.lines.append(line)
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue

    def wait_for(self, event: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        found = first(
            self.events, lambda e: e.get("event") == event and all(e.get(k) == v for k, v in match.items()), timeout
        )
        if found is not None:
            return found
        tail = "\n".join(self.lines[-30:])
        raise AssertionError(f"no {event} {match or ''} within {timeout}s; last log lines:\n{tail}")

    def terminate(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.reader.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.terminate()
