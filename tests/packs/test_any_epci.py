"""Every pack on any territory: three EPCIs other than Rennes Métropole, picked at random from the
shipped referential with a fixed seed, initialised with every pack, given the real files of the test
data (Agence ORE's commune file of Grenoble-Alpes-Métropole, Météo-France's stations of
Ille-et-Vilaine: another territory's data) and run offline. Nothing fails, nothing carries Rennes's
codes or choices, and every indicator either has rows or waits, saying why."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import ConfigError
from territoria.ledger import META
from territoria.pipelines import run_pipeline
from territoria.reference.referential import referential
from territoria.workspace import Workspace, init_workspace

RENNES = "243500139"
RENNES_MARKERS = (RENNES, "35238", "Rennes")
PACKS = ["territory", "energy_ghg", "climate_adaptation"]
REAL = Path(__file__).parent / "data" / "real"
#: real files of the test data -> where the packs' sources read them
REAL_FILES = {
    "consommation-annuelle-electricite-gaz-par-commune-grenoble-alpes-metropole.csv": "data/conso-elec-gaz-commune.csv",
    "Q_35_latest-2025-2026_RR-T-Vent.csv.gz": "data/meteo-france/stations-quotidien.csv.gz",
}


def _three_epcis() -> list[str]:
    # at most 40 communes each, so that three runs stay well under a minute on a shared machine
    pool = sorted(s for s, e in referential().epcis.items() if s != RENNES and len(e.membres) <= 40)
    return random.Random(13).sample(pool, 3)


@pytest.mark.parametrize("siren", _three_epcis())
def test_every_pack_runs_on_another_epci(siren: str, tmp_path: Path) -> None:
    root = tmp_path / siren
    ws = init_workspace(root, epci=siren, packs=PACKS)
    for path in [*(root / "sources").glob("*.yaml"), root / "territory.yaml"]:
        text = path.read_text(encoding="utf-8")
        assert not any(m in text for m in RENNES_MARKERS), f"{path.name} carries Rennes: {text}"
    assert f'code_epci="{siren}"' in (root / "sources" / "conso-elec-gaz-commune.yaml").read_text(encoding="utf-8")
    # the territory's own choices are not anybody's default
    assert ws.config.packs["energy_ghg"].parameters["climate_target_reduction"] is None
    assert "climate_target_reduction" in ws.parameters_to_fill()["energy_ghg"]
    for name, target in REAL_FILES.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REAL / name, root / target)

    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        counts = dict(engine.fetch_all(f"SELECT name, rows FROM {META}.datasets"))
    by_status = {r.step: r for r in summary.records}
    assert not [s for s, r in by_status.items() if r.status in ("failed", "blocked")], [
        (s, r.error) for s, r in by_status.items() if r.status in ("failed", "blocked")
    ]
    assert summary.status == "success"
    for step, rec in by_status.items():
        kind, _, name = step.partition(":")
        if kind not in ("indicator", "publish"):
            continue
        if rec.status == "waiting":
            assert rec.error, f"{step} waits without saying why"
        else:
            assert rec.status == "success", (step, rec.status)
            assert counts[name if kind == "indicator" else f"published.{name}"] > 0, f"{step} published nothing"
    # the referential-derived inputs build; the absent energy files and sensors make their steps wait
    assert by_status["indicator:population"].status == "success"
    assert by_status["ingest:conso-elec-gaz-commune"].status == "success"  # read, and none of its rows is ours
    assert by_status["ingest:stations-meteo-quotidien"].status == "success"
    assert "station_reference" in (by_status["model:stations_meteo"].error or "")  # the territory's choice
    assert by_status["ingest:conso-elec-iris"].status == "waiting"
    assert by_status["indicator:ges_trajectoire"].status == "waiting"
    assert "climate_target" in (by_status["indicator:ges_trajectoire"].error or "")
    assert by_status["ingest:capteurs-temperature-journalier"].status == "waiting"

    result = CliRunner().invoke(app, ["sources", "status", "--json", "--workspace", str(root)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    states = {s["dataset"]: s for s in report["sources"]}
    assert states["population-communes"]["state"] == "present"
    for waiting in ("conso-elec-iris", "capteurs-reseau", "population-75-plus", "stations-meteo-horaire"):
        assert states[waiting]["state"] == "missing", states[waiting]
    assert "data.enedis.fr" in states["conso-elec-iris"]["todo"] and siren in states["conso-elec-iris"]["todo"]
    assert set(report["parameters_to_fill"]) == {"energy_ghg", "climate_adaptation"}


def test_a_pack_brings_the_packs_it_requires(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["29019"], packs=["energy_ghg"])
    assert list(ws.config.packs) == ["territory", "energy_ghg"]
    assert (ws.root / "sources" / "population-communes.yaml").is_file()
    # no EPCI: the upstream export is filtered by commune
    text = (ws.root / "sources" / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    assert 'code_commune IN ("29019")' in text


def test_an_unknown_pack_suggests_a_pack(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        init_workspace(tmp_path / "ws", communes=["29019"], packs=["energy"])
    assert "energy_ghg" in (err.value.hint or "")
    assert not (tmp_path / "ws").exists()


def test_the_demo_sets_its_own_target_but_not_over_the_workspace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["29019"], packs=["energy_ghg"])
    ws.set_parameters("energy_ghg", {"climate_target_year": 2035})
    ws.set_parameters("energy_ghg", {"climate_target_year": 2030, "climate_target_reduction": 0.5}, only_unset=True)
    again = Workspace(ws.root).config.packs["energy_ghg"].parameters
    assert again["climate_target_year"] == 2035
    assert again["climate_target_reduction"] == 0.5


def test_no_source_of_any_pack_names_ille_et_vilaine_elsewhere(tmp_path: Path) -> None:
    """The hints `sources status` shows for another département's territory name its files, not
    Ille-et-Vilaine's (the hourly Météo-France note said "e.g. H_35_2020-2029" for Lyon)."""
    from territoria.catalog.packs import available_packs

    root = tmp_path / "lyon"
    init_workspace(root, epci="200046977", packs=available_packs())
    for path in [*(root / "sources").glob("*.yaml"), root / "territory.yaml"]:
        text = path.read_text(encoding="utf-8")
        for marker in (*RENNES_MARKERS, "_35_", "Ille-et-Vilaine"):
            assert marker not in text, f"{path.name} carries {marker!r}"
