"""Fixtures of the sensor tests: a small device registry, uplink builders, a private Mosquitto."""

from __future__ import annotations

import base64
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from territoria.core.yamlio import write_yaml
from territoria.sensors.decoders import encode_lht65
from territoria.sensors.ingest import open_registry, store_for
from territoria.sensors.registry import REGISTRY, Registry
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace, init_workspace

APP = "3ef9e6b9-0000-4000-8000-000000000001"
RENNES_CENTRE = (-1.6778, 48.1113)
BRUZ = (-1.7470, 48.0245)
RURAL = (-1.8400, 48.2400)  # Langan
DEVICES = {
    "a840410000000001": ("rennes-centre", RENNES_CENTRE, "LHT65", "urbain"),
    "a840410000000002": ("bruz", BRUZ, "EM300", "urbain"),
    "a840410000000003": ("reference", RURAL, "LHT65", "reference_rurale"),
}
PROFILES = {
    "LHT65": {
        "decoder": "dragino_lht65",
        "sensor": {"name": "Dragino LHT65"},
        "measures": {
            "temperature": {"key": "TempC_SHT", "unit": "Cel", "min": -40.0, "max": 60.0},
            "humidity": {"key": "Hum_SHT", "unit": "%", "min": 0.0, "max": 100.0},
        },
    },
    "EM300": {
        "decoder": "milesight_em300_th",
        "sensor": {"name": "Milesight EM300-TH"},
        "measures": {
            "temperature": {"key": "temperature", "unit": "Cel", "min": -40.0, "max": 60.0},
            "humidity": {"key": "humidity", "unit": "%", "min": 0.0, "max": 100.0},
        },
    },
}


def write_registry(root: Path, port: int = 1883, extra: list[dict[str, Any]] | None = None) -> None:
    (root / REGISTRY).parent.mkdir(parents=True, exist_ok=True)
    devices = [
        {
            "dev_eui": eui,
            "thing": thing,
            "profile": profile,
            "location": {"lon": lon, "lat": lat},
            "valid_from": "2025-01-01T00:00:00Z",
            "properties": {"role": role},
        }
        for eui, (thing, (lon, lat), profile, role) in DEVICES.items()
    ]
    write_yaml(
        root / REGISTRY,
        {
            "broker": {"host": "127.0.0.1", "port": port, "application_id": APP, "client_id": "test-listener"},
            "profiles": PROFILES,
            "devices": devices + (extra or []),
        },
    )


def uplink(
    dev_eui: str,
    fcnt: int,
    when: str,
    temperature: float = 21.5,
    humidity: float = 55.0,
    *,
    with_object: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "deduplicationId": f"{dev_eui}-{fcnt}",
        "time": when,
        "deviceInfo": {"applicationId": APP, "devEui": dev_eui, "deviceProfileName": "LHT65"},
        "fCnt": fcnt,
        "fPort": 2,
    }
    if with_object:
        body["object"] = {
            "TempC_SHT": temperature,
            "Hum_SHT": humidity,
            "temperature": temperature,
            "humidity": humidity,
        }
    else:
        body["data"] = base64.b64encode(encode_lht65(temperature, humidity)).decode()
    return body


def topic(dev_eui: str, event: str = "up") -> str:
    return f"application/{APP}/device/{dev_eui}/event/{event}"


def message(body: dict[str, Any], event: str = "up") -> tuple[str, bytes]:
    return topic(body["deviceInfo"]["devEui"], event), json.dumps(body).encode()


@pytest.fixture
def sensor_ws(tmp_path: Path) -> Workspace:
    ws = init_workspace(tmp_path / "ws", epci="243500139", name="Rennes Métropole (capteurs)")
    write_registry(ws.root)
    return ws


@pytest.fixture
def registry(sensor_ws: Workspace) -> Registry:
    return open_registry(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)


@pytest.fixture
def store(sensor_ws: Workspace) -> SensorStore:
    return store_for(sensor_ws.private)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    """A private broker with on-disk persistence that a test can stop and restart on the same port."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        data = directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        user = getpass.getuser()
        conf = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {data}/",
            "autosave_interval 1",
            "max_queued_messages 1000000",
            "max_inflight_messages 0",
            f"log_dest file {directory / 'mosquitto.log'}",
        ]
        if user == "root":
            conf.append("user root")
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text("\n".join(conf) + "\n", encoding="utf-8")

    def start(self) -> None:
        with (self.dir / "stderr.log").open("ab") as err:
            self.process = subprocess.Popen(
                [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(self.conf)],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {(self.dir / 'stderr.log').read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the broker saves its persistence file
            self.process.wait(timeout=10)
        self.process = None


def mosquitto_available() -> bool:
    return bool(shutil.which("mosquitto") or os.path.exists("/usr/sbin/mosquitto"))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    if not mosquitto_available():
        pytest.fail("mosquitto is not installed (Debian package `mosquitto`)")
    instance = Mosquitto(tmp_path / "mosquitto")
    instance.start()
    yield instance
    instance.stop()
