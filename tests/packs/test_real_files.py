"""The packs on real public files, loaded unmodified (tests/packs/data/real/ATTRIBUTION.md):
Agence ORE's national commune file for Grenoble-Alpes-Métropole through the energy pack, and
Météo-France's daily station file of Ille-et-Vilaine through the climate pack, with its urban
(Rennes–Gallet) and reference (Rennes–Saint-Jacques) stations. Expected figures are computed here
from the raw files with the standard library, independently of the pipeline."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import runpy
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.sensors.ingest import open_registry, replay, store_for
from territoria.usecases.climate_adaptation import demo
from territoria.usecases.energy_ghg import demo as demo_energy
from territoria.workspace import Workspace, init_workspace

REAL = Path(__file__).parent / "data" / "real"
ORE = REAL / "consommation-annuelle-electricite-gaz-par-commune-grenoble-alpes-metropole.csv"
METEO = REAL / "Q_35_latest-2025-2026_RR-T-Vent.csv.gz"
#: the header and Bretagne's 731 lines of Agence ORE's regional file, byte for byte
ORE_REGION = REAL / "conso-elec-gaz-annuelle-par-naf-agregee-region.bretagne.csv"
PACKAGED_REGIONS = Path(demo_energy.__file__).parent / "data" / "conso-elec-gaz-region.csv"
#: the producers' bytes: a changed fixture is no longer the real file
SHA256 = {
    ORE: "d643a210c6d90133f8e352acf6634d47f53d2119383ea19dde3204bf1d3e4c7b",
    METEO: "8996d2b118c85459d5bfe3b769c6c5ac5a561e4f73b08e87d68e34cf4162252c",
    ORE_REGION: "851ec610ab51494b7949e3508ded0cbfe49555974aa25387404bfaef9959e2a6",
}
GRENOBLE_METRO, GRENOBLE = "200040715", "38185"
GALLET, SAINT_JACQUES, LE_RHEU = "35238003", "35281001", "35240001"


def statuses(summary: RunSummary) -> dict[str, str]:
    return {r.step: r.status for r in summary.records}


def test_the_real_files_are_the_producers_bytes() -> None:
    for path, digest in SHA256.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path.name} was modified"
    assert ORE.read_bytes().startswith(b"\xef\xbb\xbfOPERATEUR;FILIERE;Ann\xc3\xa9e;Code Commune;")


def test_the_packaged_regional_totals_are_the_real_file_summed() -> None:
    """The energy pack ships Agence ORE's regional totals (scripts/derive_ore_region.py): summing
    the real lines of Bretagne again gives the packaged rows of Bretagne exactly."""
    derive = runpy.run_path(str(Path(__file__).parents[2] / "scripts" / "derive_ore_region.py"))["derive"]
    expected = [";".join(row) for row in derive(ORE_REGION)]
    packaged = [line for line in PACKAGED_REGIONS.read_text(encoding="utf-8").splitlines() if line.startswith("53;")]
    assert packaged == expected and len(expected) == 11 * 2 * 5  # years x energies x major sectors


def test_energy_pack_reads_the_national_ore_file_of_grenoble(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "grenoble", epci=GRENOBLE_METRO, packs=["energy_ghg"])
    (ws.root / "data").mkdir(exist_ok=True)
    shutil.copyfile(ORE, ws.root / "data" / "conso-elec-gaz-commune.csv")
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        cells = engine.fetch_all(
            "SELECT period, energy, sum(consumption_mwh), sum(masked_components) FROM model.energie_conso_commune "
            f"WHERE code = '{GRENOBLE}' GROUP BY ALL"
        )
        communes = engine.fetch_all(
            "SELECT count(DISTINCT code), min(period), max(period) FROM model.energie_conso_commune"
        )
    rec = next(r for r in summary.records if r.step == "ingest:conso-elec-gaz-commune")
    assert (rec.status, rec.rows_in, rec.rows_quarantined) == ("success", 9166, 0), rec.error
    assert not summary.failed, [(r.step, r.error) for r in summary.failed]

    # the same sums straight from the file: known cells summed, masked cells (empty) counted
    expected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    masked: dict[tuple[int, str], int] = defaultdict(int)
    with ORE.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["Code Commune"] != GRENOBLE:
                continue
            key = (int(row["Année"]), "gaz" if row["FILIERE"] == "Gaz" else "electricite")
            if row["Conso totale (MWh)"]:
                expected[key] += Decimal(row["Conso totale (MWh)"])
            elif int(row["Nombre de mailles secretisées"] or 0) > 0:
                masked[key] += 1
    got = {(p, e): (total, n) for p, e, total, n in cells}
    assert got[(2022, "electricite")][0] == Decimal("884235.763112")
    for key, total in expected.items():
        assert got[key][0] == total, key
        assert got[key][1] == masked[key], key
    assert sum(masked.values()) > 0  # the national file's secret cells are recognised, not read as zero
    assert communes == [(49, 2011, 2023)]


def _hourly_fixture(path: Path) -> None:
    """CONSTRUCTED, not real: an hourly file in Météo-France's published H_ layout (first columns
    NUM_POSTE;NOM_USUEL;LAT;LON;ALTI;AAAAMMJJHH, then each parameter followed by its quality code;
    hours in UTC). Gallet reads 22 °C at night and 28 °C by day; Saint-Jacques 18 °C at night, 26 °C
    by day, except 30 °C at 20 h UTC, which is 22 h local in July (CEST): inside the night."""
    lines = ["NUM_POSTE;NOM_USUEL;LAT;LON;ALTI;AAAAMMJJHH;RR1;QRR1;T;QT;TD;QTD;TN;QTN;TX;QTX;U;QU"]
    start = datetime(2025, 7, 1, tzinfo=UTC)
    for station, name, night, day in (
        (GALLET, "RENNES GALLET", 22.0, 28.0),
        (SAINT_JACQUES, "RENNES-ST JACQUES", 18.0, 26.0),
    ):
        for h in range(24 * 4):
            when = start + timedelta(hours=h)
            t = night if when.hour >= 20 or when.hour < 4 else day
            if station == SAINT_JACQUES and when.hour == 20:
                t = 30.0
            lines.append(f"{station};{name};48.1;-1.7;40;{when:%Y%m%d%H};0;1;{t};1;12.0;1;{t};1;{t};1;70;1")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode())


def _small_sensor_network(ws: Workspace, tmp_path: Path) -> None:
    """Two synthetic sensors (one urban in Rennes, the rural reference) for the first days of July
    2025: 25 °C all along in Rennes, 19 °C at the reference."""
    devices = [
        {
            "dev_eui": "a840410000000a01",
            "thing": "capteur-rennes",
            "profile": "LHT65",
            "lon": -1.6778,
            "lat": 48.1113,
            "role": "urbain",
            "commune": "35238",
        },
        {
            "dev_eui": "a840410000000a02",
            "thing": "reference-langan",
            "profile": "LHT65",
            "lon": -1.84,
            "lat": 48.24,
            "role": "reference_rurale",
            "commune": "35144",
        },
    ]
    demo.write_registry(ws.root, devices)
    lines = []
    start = datetime(2025, 7, 1, tzinfo=UTC)
    for h in range(24 * 5):
        when = (start + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for dev, temp in zip(devices, (25.0, 19.0), strict=True):
            lines.append(demo._line(dev, h, when, temp, 50.0))
    path = tmp_path / "uplinks.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    replay(open_registry(ws.root, ws.private, ws.config.communes), store_for(ws.private), path)


@pytest.fixture(scope="module")
def rennes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, RunSummary]:
    tmp = tmp_path_factory.mktemp("rennes-real")
    ws = init_workspace(tmp / "ws", epci="243500139", packs=["climate_adaptation"])
    ws.set_parameters("climate_adaptation", {**demo.DEMO_CANICULE, "station_reference": SAINT_JACQUES})
    target = ws.root / "data" / "meteo-france"
    target.mkdir(parents=True)
    shutil.copyfile(METEO, target / "stations-quotidien.csv.gz")
    _hourly_fixture(target / "stations-horaire.csv.gz")
    _small_sensor_network(ws, tmp)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
    return ws, summary


def _tmin(day_prefix: str) -> dict[str, dict[str, float]]:
    """station -> day -> TN, from the raw daily file."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    with gzip.open(METEO, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(io.StringIO(fh.read()), delimiter=";"):
            if row["AAAAMMJJ"].startswith(day_prefix) and row["TN"]:
                out[row["NUM_POSTE"]][row["AAAAMMJJ"]] = float(row["TN"])
    return out


def test_climate_pack_pairs_real_meteo_france_stations(rennes: tuple[Workspace, RunSummary]) -> None:
    ws, summary = rennes
    assert not summary.failed, [(r.step, r.error) for r in summary.failed]
    rec = next(r for r in summary.records if r.step == "ingest:stations-meteo-quotidien")
    assert (rec.rows_in, rec.rows_quarantined) == (9072, 0)
    with ws.engine() as engine:
        roles = dict(engine.fetch_all("SELECT station, role FROM model.stations_meteo WHERE role <> 'hors_territoire'"))
        icu = {
            (code, period): (value, days)
            for code, period, value, days in engine.fetch_all(
                "SELECT code, period, value, jours_complets FROM indicator.icu_intensite_stations"
            )
        }
    # Saint-Jacques (the airport, Saint-Jacques-de-la-Lande) is the reference; Gallet (Rennes) and
    # Le Rheu are the territory's other stations; the 15 others lie outside Rennes Métropole
    assert roles == {GALLET: "urbain", LE_RHEU: "urbain", SAINT_JACQUES: "reference"}
    tn = _tmin("202507")
    diffs = [tn[GALLET][d] - tn[SAINT_JACQUES][d] for d in tn[GALLET] if d in tn[SAINT_JACQUES]]
    value, days = icu[(GALLET, "2025-07")]
    assert days == len(diffs) == 31
    assert value == round(sum(diffs) / len(diffs), 2)  # published at the indicator's 2 decimals
    assert 0.5 < value < 1.5  # the city's nights are warmer than the airport's in July 2025
    assert {p for c, p in icu if c == GALLET} == {f"2025-{m:02d}" for m in range(1, 13)} | {
        f"2026-{m:02d}" for m in range(1, 6)
    }


def test_hourly_station_file_gives_night_means_in_local_time(rennes: tuple[Workspace, RunSummary]) -> None:
    ws, summary = rennes
    assert statuses(summary)["indicator:icu_nuit_stations"] == "success"
    with ws.engine() as engine:
        nights = engine.fetch_all(
            "SELECT station, nuit, t_nuit, heures FROM model.stations_meteo_nuits "
            "WHERE nuit = DATE '2025-07-01' ORDER BY 1"
        )
        rows = engine.fetch_all("SELECT code, period, value, nuits_completes FROM indicator.icu_nuit_stations")
    # 22 h–6 h local = 20 h–4 h UTC: 8 hours, among them Saint-Jacques's 30 °C at 20 h UTC
    reference_night = (30.0 + 7 * 18.0) / 8
    assert [(s, float(t), h) for s, _, t, h in nights] == [(GALLET, 22.0, 8), (SAINT_JACQUES, reference_night, 8)]
    assert len(rows) == 1
    code, period, value, complete = rows[0]
    assert (code, period, complete) == (GALLET, "2025-07", 3)  # nights of 1, 2 and 3 July
    assert value == round(22.0 - reference_night, 2)


def test_a_sensor_is_paired_with_the_reference_station(rennes: tuple[Workspace, RunSummary]) -> None:
    ws, summary = rennes
    assert statuses(summary)["indicator:icu_capteurs_reference_meteo"] == "success"
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT code, period, value, jours_complets FROM indicator.icu_capteurs_reference_meteo"
        )
        sensor_days = engine.fetch_all(
            "SELECT day, tmin FROM model.jours_capteurs WHERE thing = 'capteur-rennes' ORDER BY day"
        )
    tn = _tmin("202507")[SAINT_JACQUES]
    expected = [float(t) - tn[d.strftime("%Y%m%d")] for d, t in sensor_days]
    assert [(c, p, n) for c, p, _, n in rows] == [("capteur-rennes", "2025-07", len(expected))]
    assert rows[0][2] == pytest.approx(sum(expected) / len(expected), abs=0.005)


def test_without_a_reference_station_the_pairs_wait(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", epci="243500139", packs=["climate_adaptation"])
    target = ws.root / "data" / "meteo-france"
    target.mkdir(parents=True)
    shutil.copyfile(METEO, target / "stations-quotidien.csv.gz")
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
    rec = next(r for r in summary.records if r.step == "model:stations_meteo")
    assert rec.status == "waiting" and "station_reference" in (rec.error or "")
    assert statuses(summary)["indicator:icu_intensite_stations"] == "waiting"
    assert not summary.failed
