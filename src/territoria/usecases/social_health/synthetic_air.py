"""Synthetic air-quality demo inputs, in the layouts the AASQA publish: daily means at three
invented stations of the territory's most populated commune (an Opendatasoft v1 records
payload), and a year of the daily ATMO index for every commune (CSV). Labelled synthetic in the
station names, the ``source`` column and the catalog entries; seeded, so two runs write the same
bytes. Magnitudes are plausible for a French city (NO2 urban background about 20 µg/m³, traffic
about 30, PM10 about 16, PM2.5 about 9), the values invented."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from territoria.reference.referential import referential
from territoria.usecases.social_health.synthetic import seeded

MEASURES_FILE = "qualite-air-mesures.synthetic.json"
ATMO_FILE = "indice-atmo.synthetic.csv"
YEAR = 2025
POLLUTANTS = {
    "NO2": ("Dioxyde d'azote", "8"),
    "PM10": ("Particules PM10", "24"),
    "PM2.5": ("Particules fines PM2,5", "39"),
}
STATIONS = [  # (suffix, kind, NO2, PM10, PM2.5 annual levels)
    ("fond-urbain", "fond urbain", 19.0, 16.0, 9.0),
    ("trafic", "trafic", 31.0, 19.0, 10.5),
    ("periurbain", "périurbaine", 12.0, 14.0, 8.0),
]
LABELS = {1: ("Bon", "#50F0E6"), 2: ("Moyen", "#50CCAA"), 3: ("Dégradé", "#F0E641"), 4: ("Mauvais", "#FF5050")}
# sub-index upper bounds (arrêté du 10 juillet 2020), classes 1 to 4
BOUNDS = {"no2": (40, 90, 120), "pm10": (20, 40, 50), "pm25": (10, 20, 25)}


def _days() -> list[date]:
    start = date(YEAR, 1, 1)
    return [start + timedelta(days=i) for i in range((date(YEAR + 1, 1, 1) - start).days)]


def _weather() -> np.ndarray:
    """A shared day-to-day factor: stagnant winter spells and a spring particle episode."""
    rng = seeded("air-weather", YEAR)
    days = np.arange(len(_days()))
    seasonal = 1 + 0.35 * np.cos(2 * np.pi * days / 365)
    noise = np.exp(np.convolve(rng.normal(0, 0.35, len(days)), np.ones(4) / 4, mode="same"))
    return np.asarray(seasonal * noise)


def lambert93(lon: float, lat: float) -> tuple[float, float]:
    """RGF93 longitude/latitude (degrees) to Lambert-93 metres (EPSG:2154), by the IGN's formulas
    for the conformal conic projection on GRS80 (within a millimetre of PROJ)."""
    e, n, c, xs, ys = 0.0818191910428158, 0.7256077650532670, 11754255.426096, 700000.0, 12655612.049876
    phi = math.radians(lat)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - e * math.sin(phi)) / (1 + e * math.sin(phi))) ** (e / 2))
    r, gamma = c * math.exp(-n * iso), n * math.radians(lon - 3.0)
    return round(xs + r * math.sin(gamma), 2), round(ys - r * math.cos(gamma), 2)


def _station_points(code: str) -> list[tuple[float, float]]:
    """One invented point per station inside the commune (seeded), as a portal would geolocate them."""
    import pyarrow.parquet as pq
    import shapely

    table = pq.read_table(referential().boundaries_path, filters=[("code", "=", code)]).to_pylist()
    geom = shapely.from_wkb(table[0]["geometry"])
    rng = seeded("air-station-points", code)
    minx, miny, maxx, maxy = geom.bounds
    points: list[tuple[float, float]] = []
    while len(points) < len(STATIONS):
        x, y = float(rng.uniform(minx, maxx)), float(rng.uniform(miny, maxy))
        if geom.contains(shapely.Point(x, y)):
            points.append((round(x, 6), round(y, 6)))
    return points


def write_station_measures(data: Path, codes: list[str]) -> None:
    ref = referential()
    code = max(codes, key=lambda c: ref.communes[c].population or 0)
    commune = ref.communes[code]
    weather = _weather()
    records = []
    points = _station_points(code)
    for s, (suffix, kind, *levels) in enumerate(STATIONS):
        station = f"SYN{code}{s + 1}"
        name = f"{commune.nom} {kind} (synthétique)"
        rng = seeded("air-station", code, suffix)
        lon, lat = points[s]
        x93, y93 = lambert93(lon, lat)
        geometry = {"type": "Point", "coordinates": [lon, lat]}
        for p, (polluant, (label, pll)) in enumerate(POLLUTANTS.items()):
            for i, day in enumerate(_days()):
                if rng.random() < 0.04:  # analyser down for the day
                    continue
                value = round(float(levels[p] * weather[i] * rng.lognormal(0, 0.15)), 1)
                fields = {
                    "cd_sttn": station, "nm_sttn": name, "id_com": code, "nom_com": commune.nom, "nom_pll": label,
                    "id_pll": pll, "metriqu": "moyenne journalière", "valeur": value, "unite": "ug.m-3",
                    "dat_dbt": f"{day} 00:00:00", "date_fn": f"{day + timedelta(days=1)} 00:00:00", "sttt_vl": 1,
                    "x_l93": x93, "y_l93": y93,
                }  # fmt: skip
                records.append(
                    {"datasetid": "synthetique", "recordid": f"{station}-{polluant}-{day}", "fields": fields,
                     "geometry": geometry, "record_timestamp": f"{day + timedelta(days=1)}T06:00:00+01:00"}
                )  # fmt: skip
    (data / MEASURES_FILE).write_text(json.dumps(records, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _sub_index(value: float, bounds: tuple[int, int, int]) -> int:
    return 1 + sum(value > b for b in bounds)


def write_atmo(data: Path, codes: list[str]) -> None:
    ref = referential()
    weather = _weather()
    lines = ["date_ech,code_zone,lib_zone,type_zone,code_qual,lib_qual,coul_qual,code_no2,code_so2,code_o3,"
             "code_pm10,code_pm25,source"]  # fmt: skip
    for code in sorted(codes):
        commune = ref.communes[code]
        urban = min(1.0, 0.4 + (commune.population or 0) / 60000)
        rng = seeded("atmo", code)
        for i, day in enumerate(_days()):
            no2 = _sub_index(45 * urban * weather[i] * float(rng.lognormal(0, 0.2)), BOUNDS["no2"])
            pm10 = _sub_index(18 * weather[i] * float(rng.lognormal(0, 0.25)), BOUNDS["pm10"])
            pm25 = _sub_index(9 * weather[i] * float(rng.lognormal(0, 0.3)), BOUNDS["pm25"])
            o3 = 2 if 120 < i < 250 else 1
            qual = max(no2, pm10, pm25, o3)
            label, colour = LABELS[qual]
            lines.append(
                f"{day},{code},{commune.nom},commune,{qual},{label},{colour},{no2},1,{o3},{pm10},{pm25},"
                "territoria (synthétique)"
            )
    (data / ATMO_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
