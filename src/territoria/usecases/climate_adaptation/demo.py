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
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from territoria.core.yamlio import read_yaml, write_yaml
from territoria.reference.referential import referential
from territoria.sensors.decoders import encode_lht65
from territoria.sensors.ingest import open_registry, replay, store_for
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


def plan_network(communes: list[str]) -> list[dict[str, Any]]:
    """The 61 devices: position, urban factor (0 rural … 1 dense centre), profile."""
    import pyarrow.parquet as pq
    import shapely

    ref = referential()
    rng = np.random.default_rng(SEED)
    table = pq.read_table(ref.boundaries_path, columns=["code", "geometry"]).to_pylist()
    geoms = {r["code"]: shapely.from_wkb(r["geometry"]) for r in table if r["code"] in communes}
    density = {}
    for code, geom in geoms.items():
        km2 = geom.area * 111.32**2 * math.cos(math.radians(geom.centroid.y))
        density[code] = (ref.communes[code].population or 0) / max(km2, 0.1)
    lo, hi = math.log10(min(density.values())), math.log10(max(density.values()))
    devices: list[dict[str, Any]] = []
    for code in sorted(geoms):
        count = 18 if code == "35238" else 1
        for i in range(count):
            near = RENNES_CENTRE if code == "35238" and i < 12 else None
            lon, lat = _point_in(geoms[code], rng, near, 0.008)
            urban = (math.log10(density[code]) - lo) / (hi - lo)
            if code == "35238":
                dist_km = math.hypot((lon - RENNES_CENTRE[0]) * 74.3, (lat - RENNES_CENTRE[1]) * 111.3)
                urban = min(1.0, 0.75 + 0.25 * math.exp(-dist_km / 1.5))
            devices.append({"commune": code, "lon": lon, "lat": lat, "urban": urban, "role": "urbain"})
    lon, lat = _point_in(geoms.get(REFERENCE_COMMUNE, next(iter(geoms.values()))), rng, None, 0)
    devices.append({"commune": REFERENCE_COMMUNE, "lon": lon, "lat": lat, "urban": 0.0, "role": "reference_rurale"})
    for n, dev in enumerate(devices, start=1):
        dev["dev_eui"] = f"a8404100{n:08x}"
        dev["thing"] = f"capteur-{dev['commune']}-{n:02d}" if dev["role"] == "urbain" else "reference-rurale-langan"
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
            "timezone": "Europe/Paris",
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
    local_h = (t_h + 2.0) % 24  # CEST
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


def _line(dev: dict[str, Any], fcnt: int, when: str, temp: float, hum: float) -> str:
    head = (
        f'{{"time":"{when}","deviceInfo":{{"applicationId":"{APPLICATION}","deviceProfileName":"{dev["profile"]}",'
        f'"deviceName":"{dev["thing"]}","devEui":"{dev["dev_eui"]}"}},"fCnt":{fcnt},'
    )
    if dev["profile"] == "LHT65":
        data = base64.b64encode(encode_lht65(temp, hum)).decode()
        return head + f'"fPort":2,"data":"{data}"}}'
    return head + f'"fPort":85,"object":{{"temperature":{temp},"humidity":{hum},"battery":95}}}}'


def write_uplinks(path: Path, devices: list[dict[str, Any]]) -> int:
    rng = np.random.default_rng(SEED + 1)
    temp, hum = _series(rng, devices)
    slots = int(temp.shape[1])
    offsets = rng.integers(0, STEP_S, len(devices))
    stamps = np.datetime64("2025-06-01T00:00:00", "s") + np.arange(slots)[None, :] * STEP_S + offsets[:, None]
    times = np.datetime_as_string(stamps, unit="ns")
    dead_from: dict[int, int] = {7: slots // 3, 23: slots // 2, 41: 2 * slots // 3}
    sentinel_dev, sentinel_slots = 15, range(slots // 4, slots // 4 + 144)
    reset_dev, reset_at = 30, slots // 2
    late: list[str] = []
    lines = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for s in range(slots):
            chunk = []
            for d, dev in enumerate(devices):
                if s >= dead_from.get(d, slots):
                    continue
                t = 327.67 if d == sentinel_dev and s in sentinel_slots else float(temp[d, s])
                fcnt = s - reset_at if d == reset_dev and s >= reset_at else s + 1000
                line = _line(dev, fcnt, f"{times[d, s]}+00:00", t, float(hum[d, s]))
                roll = rng.random()
                if roll < 0.002:
                    late.append(line)
                    continue
                chunk.append(line)
                if roll > 0.995:
                    chunk.append(line)
            out.write("\n".join(chunk) + "\n")
            lines += len(chunk)
        out.write("\n".join(late + _malformed(devices[0])) + "\n")
    return lines + len(late) + len(_malformed(devices[0]))


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


def label_sensor_sources_synthetic(root: Path) -> None:
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
            f"{entry.get('description', '').strip()} DEMO DATA: the demonstration's network of 61 sensors "
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
    label_sensor_sources_synthetic(ws.root)
    drop_real_stations(ws)
    devices = plan_network(ws.config.communes)
    write_registry(ws.root, devices)
    write_population_75(ws.root, ws.config.communes)
    path = ws.root / UPLINKS_FILE
    if not path.exists():
        write_uplinks(path, devices)
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    replay(registry, store_for(ws.private), path)
