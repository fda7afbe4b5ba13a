"""Fixtures of the sensor tests: a small device registry, uplink builders, a private Mosquitto."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from territoria.catalog.packs import load_pack
from territoria.core.yamlio import write_yaml
from territoria.sensors.broker import PrivateBroker
from territoria.sensors.decoders import encode_lht65
from territoria.sensors.ingest import open_registry, replay, store_for
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


# The three sensors of a known network: Rennes centre, Bruz and the rural reference.
NETWORK_A, NETWORK_B, NETWORK_REF = "a840410000000001", "a840410000000002", "a840410000000003"


def network_workspace(
    root: Path,
    temperatures: Callable[[str, int], float],
    *,
    hours: int = 24 * 5,
    object_for: frozenset[str] = frozenset({NETWORK_B}),
) -> Workspace:
    """Rennes Métropole with the territory and climate packs, Ille-et-Vilaine's heat-wave thresholds,
    and ``hours`` hourly uplinks (from 2025-07-01 UTC) of the three known sensors replayed into the
    store; ``temperatures(dev_eui, hour)`` gives each reading."""
    from territoria.usecases.climate_adaptation import demo

    ws = init_workspace(root / "ws", epci="243500139", packs=["territory", "climate_adaptation"])
    ws.set_parameters("climate_adaptation", demo.DEMO_CANICULE)
    write_registry(ws.root)
    demo.write_population_75(ws.root, ws.config.communes)
    ws.use_demo_entries(load_pack("climate_adaptation"))  # its entry reads the synthetic file, labelled so
    start = datetime(2025, 7, 1, tzinfo=UTC)
    lines = []
    for h in range(hours):
        when = (start + timedelta(hours=h)).isoformat()
        for eui in (NETWORK_A, NETWORK_B, NETWORK_REF):
            lines.append(json.dumps(uplink(eui, h, when, temperatures(eui, h), 50.0, with_object=eui in object_for)))
    path = root / "uplinks.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    replay(open_registry(ws.root, ws.private, ws.config.communes), store_for(ws.private), path)
    return ws


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


Mosquitto = PrivateBroker  # the `broker` fixture (tests/conftest.py) gives one


@pytest.fixture
def wired(sensor_ws: Workspace, broker: Mosquitto) -> tuple[Registry, SensorStore]:
    """The registry and store of ``sensor_ws``, its broker being the private Mosquitto."""
    write_registry(sensor_ws.root, port=broker.port)
    return open_registry(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes), store_for(sensor_ws.private)
