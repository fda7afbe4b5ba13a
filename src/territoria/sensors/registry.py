"""The device registry: ``sensors/devices.yaml`` in the workspace.

It says which devices belong to the network and what each measures::

    timezone: Europe/Paris          # days of the daily aggregates are local days (default: the territory's)
    broker: {host: 127.0.0.1, port: 1883, application_id: "+"}
    profiles:
      LHT65:
        decoder: dragino_lht65      # used when an uplink has no decoded `object`
        sensor: {name: Dragino LHT65, metadata: "https://www.dragino.com/..."}
        measures:
          temperature: {key: TempC_SHT, unit: Cel, min: -40, max: 60}
          humidity: {key: Hum_SHT, unit: "%", min: 0, max: 100}
    devices:
      - dev_eui: a84041000181c0de
        thing: capteur-rennes-012
        profile: LHT65
        location: {lon: -1.6794, lat: 48.1119}
        valid_from: 2025-05-01T00:00:00Z   # sensors get moved and replaced: one entry per period
        properties: {role: urbain}

The commune of each location is computed from the referential's boundaries (point in polygon),
never typed by hand. Datastream ids are stable: they are kept in ``.territoria/sensors/ids.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from territoria.core.errors import ConfigError, NotFoundError
from territoria.core.jsonfile import drop_stale_temps, write_json
from territoria.core.yamlio import load_model, present
from territoria.reference.timezones import territory_zone
from territoria.sensors.decoders import DECODERS

REGISTRY = Path("sensors") / "devices.yaml"

#: canonical unit of each quantity, with the conversions accepted from profiles
QUANTITIES: dict[str, dict[str, Any]] = {
    "temperature": {
        "unit": {"name": "degree Celsius", "symbol": "°C", "definition": "http://unitsofmeasure.org/ucum.html#para-30"},
        "definition": "http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/",
        "description": "Air temperature",
        "convert": {"Cel": (1.0, 0.0), "degC": (1.0, 0.0), "K": (1.0, -273.15), "[degF]": (5 / 9, -32 * 5 / 9)},
    },
    "humidity": {
        "unit": {"name": "percent", "symbol": "%", "definition": "http://unitsofmeasure.org/ucum.html#para-29"},
        "definition": "http://vocab.nerc.ac.uk/collection/P07/current/CFSN0413/",
        "description": "Relative humidity of the air",
        "convert": {"%": (1.0, 0.0), "1": (100.0, 0.0)},
    },
    "battery": {
        "unit": {"name": "volt", "symbol": "V", "definition": "http://unitsofmeasure.org/ucum.html#para-30"},
        "definition": "https://www.chirpstack.io/docs/#battery",
        "description": "Battery voltage of the device",
        "convert": {"V": (1.0, 0.0), "mV": (0.001, 0.0)},
    },
}

#: sensor error sentinels of common firmwares (int16 0x7FFF / 0x8000 scaled by 100 or 10)
SENTINELS = frozenset({327.67, -327.68, 3276.7, -3276.8, 32767.0, -32768.0})


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    key: str
    unit: str
    min: float
    max: float


class SensorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    encoding_type: str = "application/pdf"
    metadata: str = ""


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decoder: str | None = None
    sensor: SensorInfo
    measures: dict[str, Measure]

    @field_validator("decoder")
    @classmethod
    def _decoder(cls, value: str | None) -> str | None:
        if value is not None and value not in DECODERS:
            raise ValueError(f"unknown decoder {value!r}; known: {', '.join(DECODERS)}")
        return value

    @model_validator(mode="after")
    def _units(self) -> Profile:
        for quantity, measure in self.measures.items():
            if quantity not in QUANTITIES:
                raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")
            if measure.unit not in QUANTITIES[quantity]["convert"]:
                known = ", ".join(QUANTITIES[quantity]["convert"])
                raise ValueError(f"unit {measure.unit!r} of {quantity} is not convertible; use one of {known}")
        return self


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class DeviceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dev_eui: str
    thing: str
    description: str = ""
    profile: str
    location: Point
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("dev_eui")
    @classmethod
    def _eui(cls, value: str) -> str:
        value = value.strip().lower()
        if len(value) != 16 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError("dev_eui must be 16 hexadecimal characters")
        return value


class Broker(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = 1883
    application_id: str = "+"
    client_id: str = "territoria-sensors"
    username: str | None = None
    #: name of the environment variable holding the password (never the password itself)
    password_env: str | None = None
    session_expiry_s: int = 7 * 24 * 3600
    max_payload_bytes: int = 65536


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: unset: the territory's (Europe/Paris, Indian/Reunion in La Réunion...: reference/timezones.py)
    timezone: str = "Europe/Paris"
    #: uplinks whose time is this much older than their arrival are counted as late
    late_after_s: int = 3600
    broker: Broker = Field(default_factory=Broker)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    devices: list[DeviceEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    """One registry entry made concrete: a device at a location for a period."""

    entry: DeviceEntry
    location_id: int
    commune: str | None
    start_us: int
    end_us: int
    #: quantity -> (datastream id, measure, scale, offset)
    streams: dict[str, tuple[int, Measure, float, float]]


def _us(value: datetime | None, default: int) -> int:
    if value is None:
        return default
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1_000_000)


class Registry:
    def __init__(self, config: RegistryFile, ids: dict[str, int], communes: dict[tuple[float, float], str | None]):
        self.config = config
        self.ids = ids
        self.by_eui: dict[str, list[Placement]] = {}
        self.locations: dict[int, tuple[str, Point, str | None]] = {}
        for entry in config.devices:
            if entry.profile not in config.profiles:
                raise ConfigError(
                    f"device {entry.dev_eui} names an unknown profile {entry.profile!r}",
                    hint=f"declare it under `profiles:` in {REGISTRY}",
                )
            profile = config.profiles[entry.profile]
            loc_key = f"location:{entry.thing}@{entry.location.lon:.6f},{entry.location.lat:.6f}"
            location_id = ids[loc_key]
            commune = communes.get((entry.location.lon, entry.location.lat))
            self.locations[location_id] = (entry.thing, entry.location, commune)
            streams = {}
            for quantity, measure in profile.measures.items():
                scale, offset = QUANTITIES[quantity]["convert"][measure.unit]
                streams[quantity] = (ids[f"datastream:{entry.thing}:{quantity}"], measure, scale, offset)
            placement = Placement(
                entry, location_id, commune, _us(entry.valid_from, -(2**62)), _us(entry.valid_to, 2**62), streams
            )
            self.by_eui.setdefault(entry.dev_eui, []).append(placement)
        for placements in self.by_eui.values():
            placements.sort(key=lambda p: p.start_us)

    def placement(self, dev_eui: str, time_us: int) -> Placement | None:
        for placement in self.by_eui.get(dev_eui, ()):
            if placement.start_us <= time_us < placement.end_us:
                return placement
        return None

    def datastreams(self) -> list[dict[str, Any]]:
        """One row per datastream: id, thing, quantity, device, commune and location."""
        rows: dict[int, dict[str, Any]] = {}
        for placements in self.by_eui.values():
            for p in placements:
                for quantity, (ds, _m, _s, _o) in p.streams.items():
                    rows[ds] = {
                        "datastream": ds,
                        "thing": p.entry.thing,
                        "quantity": quantity,
                        "unit": QUANTITIES[quantity]["unit"]["symbol"],
                        "dev_eui": p.entry.dev_eui,
                        "profile": p.entry.profile,
                        "commune": p.commune,
                        "lon": p.entry.location.lon,
                        "lat": p.entry.location.lat,
                        "role": str(p.entry.properties.get("role", "")),
                    }
        return [rows[k] for k in sorted(rows)]


def _assign_ids(config: RegistryFile, path: Path) -> dict[str, int]:
    ids: dict[str, int] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    changed = False

    def need(key: str) -> None:
        nonlocal changed
        if key not in ids:
            kind = key.split(":", 1)[0]
            ids[key] = 1 + max((v for k, v in ids.items() if k.split(":", 1)[0] == kind), default=0)
            changed = True

    for entry in config.devices:
        need(f"thing:{entry.thing}")
        need(f"sensor:{entry.profile}")
        need(f"location:{entry.thing}@{entry.location.lon:.6f},{entry.location.lat:.6f}")
        for quantity in config.profiles.get(entry.profile, Profile(sensor=SensorInfo(name="?"), measures={})).measures:
            need(f"datastream:{entry.thing}:{quantity}")
            need(f"property:{quantity}")
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, ids, sort_keys=True)
    return ids


def locate_communes(points: list[tuple[float, float]], codes: list[str]) -> dict[tuple[float, float], str | None]:
    """Commune of each (lon, lat) among ``codes``, by point in polygon on the referential's boundaries."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import shapely

    from territoria.reference.referential import data_dir

    # the boundaries file alone: building the whole referential (every commune and EPCI) costs more
    table = pq.ParquetFile(data_dir() / "communes_geom.parquet").read(columns=["code", "geometry"])
    table = table.filter(pc.is_in(table["code"], value_set=__import__("pyarrow").array(codes)))
    polygons = shapely.from_wkb(table["geometry"].to_numpy(zero_copy_only=False))
    tree = shapely.STRtree(polygons)
    names = table["code"].to_pylist()
    found: dict[tuple[float, float], str | None] = {}
    for lon, lat in points:
        hits = tree.query(shapely.Point(lon, lat), predicate="within")
        found[(lon, lat)] = names[int(hits[0])] if len(hits) else None
    return found


def load_registry(root: Path, private: Path, communes: list[str]) -> Registry:
    path = root / REGISTRY
    if not present(path):  # a folder or a broken link there is a ConfigError, not "no registry"
        raise NotFoundError(
            f"no device registry at {path}",
            hint=f"write {REGISTRY} (see docs/sensors.md), or run `territoria demo` for an example network",
        )
    config = load_model(path, RegistryFile)
    if "timezone" not in config.model_fields_set:  # days and nights in the territory's legal time
        config.timezone = territory_zone(communes)
    drop_stale_temps(private)  # an ids.json or located.json a killed process left half-written
    ids = _assign_ids(config, private / "ids.json")
    points = sorted({(d.location.lon, d.location.lat) for d in config.devices})
    return Registry(config, ids, _located(points, communes, private / "located.json") if points else {})


def _located(points: list[tuple[float, float]], codes: list[str], cache: Path) -> dict[tuple[float, float], str | None]:
    """``locate_communes``, remembered in ``cache`` for the same points, communes and referential
    (reading the boundaries costs more than everything else a registry load does)."""
    from territoria.reference.referential import data_dir

    vintage = (data_dir() / "vintages.json").read_text(encoding="utf-8")
    key = hashlib.sha256(json.dumps([points, sorted(codes), vintage]).encode()).hexdigest()
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return {(lon, lat): code for lon, lat, code in saved["found"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache yet, or one we cannot read: locate again
    found = locate_communes(points, codes)
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_json(cache, {"key": key, "found": [[lon, lat, c] for (lon, lat), c in found.items()]}, durable=False)
    return found
