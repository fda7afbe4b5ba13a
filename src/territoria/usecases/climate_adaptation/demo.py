"""A synthetic but realistic summer (June–August 2025) of a LoRaWAN temperature network.

Labelled synthetic everywhere it lands. 60 sensors over the 43 communes of Rennes Métropole
(18 in Rennes, one in each other commune) plus a rural reference sensor, one uplink every 10
minutes, with:

- a diurnal cycle (minimum near 06:00, maximum near 16:00 local time) around a synoptic daily
  mean that wanders by a few degrees, and two heat waves (29 June – 2 July, 9–16 August);
- a nocturnal urban heat island proportional to the log of the commune's real population density
  (from the referential) and, in Rennes, to the closeness to the city centre; stronger during the
  heat waves (clear, calm nights);
- humidity anti-correlated with temperature;
- three dead sensors, one sensor failing with the 327.67 °C sentinel for a day, one fCnt reset,
  0.5 % duplicated uplinks, late uplinks at the end of the file, and malformed frames.

Everything derives from a fixed seed: two runs write identical bytes.
"""

from __future__ import annotations

import base64
import gzip
import io
import math
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from territoria.core.yamlio import read_yaml, write_yaml
from territoria.reference.referential import referential
from territoria.reference.timezones import territory_zone
from territoria.sensors.ingest import ingest_messages, open_registry, replay, store_for
from territoria.sensors.registry import REGISTRY

SEED = 20250601
START = datetime(2025, 6, 1, tzinfo=UTC)
DAYS = 92
STEP_S = 600
APPLICATION = "3ef9e6b9-1c5e-4c2a-9f0e-7a4d2c1b5e01"
RENNES_CENTRE = (-1.6778, 48.1113)
REFERENCE_COMMUNE = "35144"  # Langan: rural, at the north-western edge
HEAT_WAVES = ((datetime(2025, 6, 29, tzinfo=UTC), 4), (datetime(2025, 8, 9, tzinfo=UTC), 8))
UPLINKS_FILE = "data/sensors/uplinks-ete-2025.synthetic.jsonl.gz"
#: slots formatted at once: a few days, a few tens of MB of lines
_SLOTS_AT_ONCE = 576

PROFILES = {
    "LHT65": {
        "decoder": "dragino_lht65",
        "sensor": {
            "name": "Dragino LHT65",
            "description": "LoRaWAN temperature and humidity sensor (SHT20)",
            "encoding_type": "text/html",
            "metadata": "https://www.dragino.com/products/temperature-humidity-sensor/item/151-lht65.html",
        },
        "measures": {
            "temperature": {"key": "TempC_SHT", "unit": "Cel", "min": -40.0, "max": 60.0},
            "humidity": {"key": "Hum_SHT", "unit": "%", "min": 0.0, "max": 100.0},
        },
    },
    "EM300-TH": {
        "decoder": "milesight_em300_th",
        "sensor": {
            "name": "Milesight EM300-TH",
            "description": "LoRaWAN temperature and humidity sensor",
            "encoding_type": "text/html",
            "metadata": "https://www.milesight.com/iot/product/lorawan-sensor/em300-th",
        },
        "measures": {
            "temperature": {"key": "temperature", "unit": "Cel", "min": -40.0, "max": 60.0},
            "humidity": {"key": "humidity", "unit": "%", "min": 0.0, "max": 100.0},
        },
    },
}


def _point_in(
    geom: Any, rng: np.random.Generator, near: tuple[float, float] | None, spread: float
) -> tuple[float, float]:
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    for _ in range(2000):
        if near is not None:
            x, y = near[0] + rng.normal(0, spread * 1.5), near[1] + rng.normal(0, spread)
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(shapely.Point(x, y)):
            return round(float(x), 5), round(float(y), 5)
    point = geom.representative_point()
    return round(point.x, 5), round(point.y, 5)


#: the demo's network covers at most this many communes, the most populous (Rennes Métropole has
#: 43): one sensor in each made Bretagne's 1,202 communes 16 million uplinks and over 5 GB of memory
NETWORK_COMMUNES = 60


def plan_network(communes: list[str]) -> list[dict[str, Any]]:
    """The devices (61 in Rennes Métropole): position, urban factor (0 rural … 1 dense centre), profile."""
    import pyarrow.parquet as pq
    import shapely

    ref = referential()
    rng = np.random.default_rng(SEED)
    table = pq.read_table(ref.boundaries_path, columns=["code", "geometry"]).to_pylist()
    every = {r["code"]: shapely.from_wkb(r["geometry"]) for r in table if r["code"] in communes}
    largest = sorted(every, key=lambda code: (-(ref.communes[code].population or 0), code))[:NETWORK_COMMUNES]
    geoms = {code: every[code] for code in sorted(largest)}
    density = {}
    for code, geom in geoms.items():
        km2 = geom.area * 111.32**2 * math.cos(math.radians(geom.centroid.y))
        density[code] = (ref.communes[code].population or 0) / max(km2, 0.1)
    lo, hi = math.log10(min(density.values())), math.log10(max(density.values()))
    spread = hi - lo or 1.0  # one commune (or equal densities): every device at the rural end
    devices: list[dict[str, Any]] = []
    for code in sorted(geoms):
        count = 18 if code == "35238" else 1
        for i in range(count):
            near = RENNES_CENTRE if code == "35238" and i < 12 else None
            lon, lat = _point_in(geoms[code], rng, near, 0.008)
            urban = (math.log10(density[code]) - lo) / spread
            if code == "35238":
                dist_km = math.hypot((lon - RENNES_CENTRE[0]) * 74.3, (lat - RENNES_CENTRE[1]) * 111.3)
                urban = min(1.0, 0.75 + 0.25 * math.exp(-dist_km / 1.5))
            devices.append({"commune": code, "lon": lon, "lat": lat, "urban": urban, "role": "urbain"})
    # Langan in Rennes Métropole; elsewhere the territory's first commune (before, the device still
    # said Langan's code and name, in La Réunion too)
    reference = REFERENCE_COMMUNE if REFERENCE_COMMUNE in every else next(iter(every))
    lon, lat = _point_in(every[reference], rng, None, 0)
    devices.append({"commune": reference, "lon": lon, "lat": lat, "urban": 0.0, "role": "reference_rurale"})
    rural = "reference-rurale-langan" if reference == REFERENCE_COMMUNE else f"reference-rurale-{reference}"
    for n, dev in enumerate(devices, start=1):
        dev["dev_eui"] = f"a8404100{n:08x}"
        dev["thing"] = f"capteur-{dev['commune']}-{n:02d}" if dev["role"] == "urbain" else rural
        dev["profile"] = "LHT65" if n % 3 else "EM300-TH"
    return devices


def write_registry(root: Path, devices: list[dict[str, Any]]) -> None:
    entries = []
    for dev in devices:
        props = {"role": dev["role"], "synthetic": True}
        entries.append(
            {
                "dev_eui": dev["dev_eui"],
                "thing": dev["thing"],
                "description": "Capteur de température sous abri (réseau de démonstration, données synthétiques)",
                "profile": dev["profile"],
                "location": {"lon": dev["lon"], "lat": dev["lat"]},
                "valid_from": "2025-05-01T00:00:00Z",
                "properties": props,
            }
        )
    target = root / REGISTRY
    target.parent.mkdir(parents=True, exist_ok=True)
    write_yaml(
        target,
        {
            "timezone": territory_zone(d["commune"] for d in devices),
            "late_after_s": 3600,
            "broker": {"host": "127.0.0.1", "port": 1883, "application_id": APPLICATION},
            "profiles": PROFILES,
            "devices": entries,
        },
    )


def _series(rng: np.random.Generator, devices: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Temperature and humidity, shape (devices, slots)."""
    slots = DAYS * 86400 // STEP_S
    t_h = np.arange(slots) * STEP_S / 3600.0
    # the network's legal time (CEST in Rennes, UTC+4 in La Réunion): its nights are local nights
    offset = START.astimezone(ZoneInfo(territory_zone(d["commune"] for d in devices))).utcoffset()
    local_h = (t_h + (offset.total_seconds() if offset else 0.0) / 3600.0) % 24
    day = (t_h // 24).astype(int)
    synoptic = 18.0 + np.cumsum(rng.normal(0, 0.6, DAYS)).clip(-4, 4)
    wave = np.zeros(DAYS)
    for start, length in HEAT_WAVES:
        first = (start - START).days
        ramp = np.sin(np.linspace(0, math.pi, length + 2))[1:-1]
        wave[first : first + length] = 9.0 * ramp
    daily_mean = synoptic + wave
    amplitude = 5.5 + 1.5 * (wave > 2)
    diurnal = np.cos((local_h - 16.0) / 24.0 * 2 * math.pi)
    night = np.clip(np.cos((local_h - 3.0) / 24.0 * 2 * math.pi) * 1.6, 0, 1)
    base = daily_mean[day] + amplitude[day] * diurnal
    urban = np.array([d["urban"] for d in devices])[:, None]
    uhi = urban * night[None, :] * (2.5 + 0.35 * wave[day])[None, :]
    temp = base[None, :] + uhi + 0.6 * urban + rng.normal(0, 0.15, (len(devices), slots))
    hum = (70.0 - 2.8 * (temp - daily_mean[day][None, :]) + rng.normal(0, 1.5, temp.shape)).clip(20, 100)
    return np.round(temp, 2), np.round(hum, 1)


#: the LHT65 frame of ``encode_lht65`` (battery, SHT20 temperature and humidity, DS18B20 probe type
#: and its error value, reserved) plus one zero byte: 12 bytes encode to base64 on their own
_LHT65_ROW = np.dtype(
    [("bat", ">u2"), ("temp", ">i2"), ("hum", ">u2"), ("ext", "u1"), ("ds", ">i2"), ("res", ">u2"), ("pad", "u1")]
)


def _lht65_data(temps: np.ndarray, hums: np.ndarray) -> list[str]:
    """``base64(encode_lht65(t, h))`` of many values at once: one base64 call over 12-byte rows
    (a multiple of 3, so rows do not share base64 characters), whose last character, that of the
    padding byte, is the ``=`` an 11-byte frame ends with."""
    rows = np.zeros(len(temps), _LHT65_ROW)
    rows["bat"] = 0xC000 | (round(3.05 * 1000) & 0x3FFF)
    rows["temp"] = np.where(temps >= 327.67, 0x7FFF, np.rint(temps * 100))
    rows["hum"] = np.rint(hums * 10)
    rows["ext"], rows["ds"] = 0x01, 0x7FFF
    text = base64.b64encode(rows.tobytes())
    chars = np.frombuffer(text, np.uint8).reshape(-1, 16).copy()
    chars[:, 15] = ord("=")
    return np.frombuffer(chars.tobytes(), "S16").astype("U16").tolist()  # type: ignore[no-any-return]


def _lines(dev: dict[str, Any], fcnts: list[int], whens: list[str], temps: np.ndarray, hums: np.ndarray) -> list[str]:
    """One device's uplink events (ChirpStack v4 JSON), formatted as a LoRaWAN network server would."""
    # a str.format template: the device's fields filled in now, braces of the JSON doubled
    device = (
        f'"deviceInfo":{{{{"applicationId":"{APPLICATION}","deviceProfileName":"{dev["profile"]}",'
        f'"deviceName":"{dev["thing"]}","devEui":"{dev["dev_eui"]}"}}}}'
    )
    head = '{{"time":"{}",' + device + ',"fCnt":{},'
    if dev["profile"] == "LHT65":
        form = head + '"fPort":2,"data":"{}"}}'
        return [form.format(*v) for v in zip(whens, fcnts, _lht65_data(temps, hums), strict=True)]
    form = head + '"fPort":85,"object":{{"temperature":{},"humidity":{},"battery":95}}}}'
    return [form.format(*v) for v in zip(whens, fcnts, temps.tolist(), hums.tolist(), strict=True)]


def _line(dev: dict[str, Any], fcnt: int, when: str, temp: float, hum: float) -> str:
    return _lines(dev, [fcnt], [when], np.array([temp]), np.array([hum]))[0]


def _uplink_chunks(devices: list[dict[str, Any]]) -> Iterator[list[str]]:
    """The uplinks file's lines in its order: those of each 10-minute slot, then the late ones and
    the malformed frames. Formatted a few days at a time (numpy and one base64 call per device) and
    picked slot by slot, drawing the same random numbers, in the same order, as one draw per uplink."""
    rng = np.random.default_rng(SEED + 1)
    temp, hum = _series(rng, devices)
    slots = int(temp.shape[1])
    offsets = rng.integers(0, STEP_S, len(devices))
    stamps = np.datetime64("2025-06-01T00:00:00", "s") + np.arange(slots)[None, :] * STEP_S + offsets[:, None]
    times = np.char.add(np.datetime_as_string(stamps, unit="ns"), "+00:00")
    dead_from: dict[int, int] = {7: slots // 3, 23: slots // 2, 41: 2 * slots // 3}
    sentinel_dev, sentinel_slots = 15, slice(slots // 4, slots // 4 + 144)
    reset_dev, reset_at = 30, slots // 2
    fcnt = np.broadcast_to(np.arange(slots, dtype=np.int64) + 1000, temp.shape).copy()
    if len(devices) > sentinel_dev:  # the demo's network has them (a test's may be smaller)
        temp[sentinel_dev, sentinel_slots] = 327.67
    if len(devices) > reset_dev:
        fcnt[reset_dev, reset_at:] = np.arange(slots - reset_at)
    alive = np.arange(slots)[:, None] < np.array([dead_from.get(d, slots) for d in range(len(devices))])[None, :]
    rolls = np.full(alive.shape, np.nan)  # (slots, devices): the one draw of each uplink sent, slot by slot
    rolls[alive] = rng.random(int(alive.sum()))
    # each uplink sent once, or set aside to arrive late (at the end of the file), or sent twice
    copies = np.where(rolls < 0.002, 0, np.where(rolls > 0.995, 2, 1)) * alive
    late: list[str] = []
    for first in range(0, slots, _SLOTS_AT_ONCE):
        block = slice(first, min(first + _SLOTS_AT_ONCE, slots))
        lines = np.empty((block.stop - first, len(devices)), dtype=object)  # (slots, devices) as rolls
        for d, dev in enumerate(devices):
            lines[:, d] = _lines(dev, fcnt[d, block].tolist(), times[d, block].tolist(), temp[d, block], hum[d, block])
        late += lines[alive[block] & (rolls[block] < 0.002)].tolist()
        sent = np.repeat(lines.ravel(), copies[block].ravel())
        yield from (chunk.tolist() for chunk in np.split(sent, np.cumsum(copies[block].sum(axis=1))[:-1]))
    yield late + _malformed(devices[0])


def uplinks_written(path: Path, devices: list[dict[str, Any]]) -> Iterator[list[str]]:
    """Write the uplinks file, yielding each chunk of lines once written (the demo ingests them
    without reading the file again). Under a temporary name until complete: a file left half
    written would otherwise be taken for the demo's at the next run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with (
        partial.open("wb") as raw,
        gzip.GzipFile(path.name, "wb", 1, raw) as packed,  # named as the file, as gzip.open names it
        io.TextIOWrapper(packed, encoding="utf-8") as out,
    ):
        for chunk in _uplink_chunks(devices):
            out.write("\n".join(chunk) + "\n")
            yield chunk
    partial.replace(path)


def write_uplinks(path: Path, devices: list[dict[str, Any]]) -> int:
    return sum(len(chunk) for chunk in uplinks_written(path, devices))


def _malformed(dev: dict[str, Any]) -> list[str]:
    good = _line(dev, 1, "2025-07-14T12:00:00.000000000+00:00", 25.0, 50.0)
    return [
        good[:80],
        good.replace('"fCnt":1,', '"fCnt":"1",'),
        good.replace(dev["dev_eui"], "ffffffffffffffff"),
        good.replace(',"data":"', ',"payload":"'),
        good.replace('"time":"2025', '"time":"2099'),
        '{"time":"2025-07-14T12:00:00Z","deviceInfo":{"devEui":"'
        + dev["dev_eui"]
        + '"},"fCnt":2,"data":"'
        + "A" * 70000
        + '"}',
    ]


def write_population_75(root: Path, communes: list[str]) -> None:
    ref = referential()
    rng = np.random.default_rng(SEED + 2)
    lines = ["CODGEO;LIBGEO;P75PLUS;ANNEE;SYNTHETIQUE"]
    for code in communes:
        pop = ref.communes[code].population or 0
        share = 0.085 + rng.normal(0, 0.012)
        lines.append(f"{code};{ref.communes[code].nom};{round(pop * share)};2022;oui")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "population-75-plus.synthetic.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# Météo-France's thresholds reported for Ille-et-Vilaine (35), the demonstration's département.
DEMO_CANICULE = {"canicule_ibmn": 18.0, "canicule_ibmx": 33.0}
# Real Météo-France stations of Ille-et-Vilaine, summer 2025 (see data/ATTRIBUTION.md), and the
# reference the demonstration compares them with: Rennes–Saint-Jacques, the airport outside the city.
STATIONS_EXTRACT = Path(__file__).parent / "data" / "Q_35_ete-2025_RR-T-Vent.csv.gz"
STATIONS_DEPARTEMENT = "35"
STATIONS_FILE = "data/meteo-france/stations-quotidien.csv.gz"
DEMO_STATION_REFERENCE = "35281001"
SENSOR_SOURCES = ("capteurs-reseau", "capteurs-temperature-horaire", "capteurs-temperature-journalier")


def label_sensor_sources_synthetic(root: Path, sensors: int = 61) -> None:
    """The demonstration's sensor network is invented: its catalog entries say so, so that every
    figure computed from it is labelled synthetic down to the dashboard, API, exports and DCAT."""
    for name in SENSOR_SOURCES:
        path = root / "sources" / f"{name}.yaml"
        if not path.is_file():
            continue
        entry = read_yaml(path)
        if entry.get("synthetic"):
            continue
        entry["synthetic"] = True
        entry["temporal"] = {"start": "2025-06-01", "end": "2025-08-31"}
        entry["title"] = f"{entry['title']} — données synthétiques"
        entry["description"] = (
            f"{entry.get('description', '').strip()} DEMO DATA: the demonstration's network of {sensors} sensors "
            "and its summer 2025 uplinks are invented (seeded), see territoria.usecases.climate_adaptation.demo."
        )
        write_yaml(path, entry)


def drop_real_stations(ws: Any) -> None:
    """Put the real Météo-France summer 2025 extract where the station source reads it, when the
    workspace lies in its département (anywhere else, the source waits for the territory's file)."""
    from territoria.workspace.workspace import territory_placeholders

    departements = territory_placeholders(ws.config)["territory.departements"].split(",")
    if STATIONS_DEPARTEMENT not in departements:
        return
    target = ws.root / STATIONS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STATIONS_EXTRACT, target)
    path = ws.root / "sources" / "stations-meteo-quotidien.yaml"
    if path.is_file():  # the extract's own vintage, shown next to every figure computed from it
        entry = read_yaml(path)
        entry["temporal"] = {"start": "2025-06-01", "end": "2025-08-31"}
        write_yaml(path, entry)
    ws.set_parameters("climate_adaptation", {"station_reference": DEMO_STATION_REFERENCE}, only_unset=True)


def prepare_demo(ws: Any) -> None:
    ws.set_parameters("climate_adaptation", DEMO_CANICULE, only_unset=True)
    devices = plan_network(ws.config.communes)
    label_sensor_sources_synthetic(ws.root, len(devices))
    drop_real_stations(ws)
    write_registry(ws.root, devices)
    write_population_75(ws.root, ws.config.communes)
    path = ws.root / UPLINKS_FILE
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    if path.exists():
        replay(registry, store_for(ws.private), path)
        return
    # the lines as they are written, through the same normaliser and store as a replay of the file
    written = (("", line.encode()) for chunk in uplinks_written(path, devices) for line in chunk)
    ingest_messages(registry, store_for(ws.private), written)
