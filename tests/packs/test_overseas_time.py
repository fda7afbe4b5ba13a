"""Overseas, nights are local nights: La Réunion is UTC+4 all year, where Paris is UTC+1 or +2.
Météo-France's hourly files (hours in UTC) and the sensors (instants in UTC) are read in the legal
time of the place they were measured in. Before, both were read in Europe/Paris's time: a
Réunion station's "night" of 22 h–6 h was 0 h–8 h local, half of it in daylight."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from territoria.core.yamlio import read_yaml, write_yaml
from territoria.pipelines import run_pipeline
from territoria.reference.timezones import territory_zone, zone_of
from territoria.sensors.ingest import open_registry
from territoria.sensors.registry import REGISTRY
from territoria.usecases.climate_adaptation import demo
from territoria.workspace import init_workspace

CINOR = "249740119"  # Saint-Denis, Sainte-Marie, Sainte-Suzanne (La Réunion)
#: CONSTRUCTED station numbers, after their communes as Météo-France numbers them
SAINT_DENIS, GILLOT = "97411100", "97418110"


def _gz(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode())


def _station_files(root: Path) -> None:
    """CONSTRUCTED, in Météo-France's published layouts: Saint-Denis reads 24 °C from 22 h to 6 h
    local time (18 h–2 h UTC) and 30 °C otherwise; Gillot, the reference, 20 °C and 28 °C."""
    hourly = ["NUM_POSTE;NOM_USUEL;LAT;LON;ALTI;AAAAMMJJHH;RR1;QRR1;T;QT;TD;QTD;TN;QTN;TX;QTX;U;QU"]
    daily = ["NUM_POSTE;NOM_USUEL;LAT;LON;ALTI;AAAAMMJJ;RR;QRR;TN;QTN;TX;QTX;TM;QTM"]
    start = datetime(2025, 1, 10, tzinfo=UTC)
    for station, name, night, day in ((SAINT_DENIS, "ST-DENIS", 24.0, 30.0), (GILLOT, "GILLOT-AEROPORT", 20.0, 28.0)):
        for h in range(24 * 4):
            when = start + timedelta(hours=h)
            local = (when.hour + 4) % 24
            t = night if local >= 22 or local < 6 else day
            hourly.append(f"{station};{name};-20.9;55.5;10;{when:%Y%m%d%H};0;1;{t};1;18.0;1;{t};1;{t};1;70;1")
        for d in range(4):
            date = start + timedelta(days=d)
            daily.append(f"{station};{name};-20.9;55.5;10;{date:%Y%m%d};0;1;{night};1;{day};1;26;1")
    _gz(root / "data" / "meteo-france" / "stations-horaire.csv.gz", hourly)
    _gz(root / "data" / "meteo-france" / "stations-quotidien.csv.gz", daily)


def test_a_reunion_station_night_is_a_local_night(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "cinor", epci=CINOR, packs=["climate_adaptation"])
    ws.set_parameters("climate_adaptation", {"station_reference": GILLOT})
    _station_files(ws.root)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        nights = engine.fetch_all(
            "SELECT station, t_nuit, heures FROM model.stations_meteo_nuits WHERE nuit = DATE '2025-01-10' ORDER BY 1"
        )
    assert not summary.failed, [(r.step, r.error) for r in summary.failed]
    # 22 h–6 h local: 8 hours, each at the station's night temperature
    assert [(s, float(t), h) for s, t, h in nights] == [(SAINT_DENIS, 24.0, 8), (GILLOT, 20.0, 8)]


@pytest.mark.parametrize(
    ("communes", "zone"),
    [
        (["97411", "97418"], "Indian/Reunion"),
        (["97209"], "America/Martinique"),
        (["35238", "2A004"], "Europe/Paris"),
        (["35238", "97411"], "Europe/Paris"),  # across zones: each sensor's registry says its own
    ],
)
def test_the_zone_of_a_territory(communes: list[str], zone: str) -> None:
    assert territory_zone(communes) == zone
    assert zone_of("97611000") == "Indian/Mayotte"


def test_a_registry_without_a_zone_is_in_the_territorys(tmp_path: Path) -> None:
    """The demo's network writes its territory's zone; a registry a team writes without
    `timezone:` counts La Réunion's days from local midnight, not Paris's."""
    ws = init_workspace(tmp_path / "cinor", epci=CINOR, packs=["climate_adaptation"])
    devices = [
        {"dev_eui": "a840410000000b01", "thing": "capteur-st-denis", "profile": "LHT65", "lon": 55.4481,
         "lat": -20.8789, "role": "urbain", "commune": "97411"},
    ]  # fmt: skip
    demo.write_registry(ws.root, demo.plan_network(ws.config.communes))  # the demo's own network
    assert read_yaml(ws.root / REGISTRY)["timezone"] == "Indian/Reunion"
    demo.write_registry(ws.root, devices)
    assert read_yaml(ws.root / REGISTRY)["timezone"] == "Indian/Reunion"
    registry = read_yaml(ws.root / REGISTRY)
    del registry["timezone"]
    write_yaml(ws.root / REGISTRY, registry)
    assert open_registry(ws.root, ws.private, ws.config.communes).config.timezone == "Indian/Reunion"
    registry["timezone"] = "Europe/Paris"  # a zone the registry says is kept
    write_yaml(ws.root / REGISTRY, registry)
    assert open_registry(ws.root, ws.private, ws.config.communes).config.timezone == "Europe/Paris"
