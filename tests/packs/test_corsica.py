"""Corsica is two départements for INSEE (2A, 2B: Ajaccio is 2A004) and one for Météo-France, as
before 1976: its files are Q_20_..., its stations numbered 20004002 (Ajaccio) or 20148001
(Bastia-Poretta, in Lucciana, 2B148). Before, a Corsican territory's stations were all outside it
(20004 is no commune), its reference station could not be chosen, and the source's note asked for
département 2A's file, which Météo-France does not publish."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.workspace import Workspace

from .test_arrondissements import renumbered_stations

PAYS_AJACCIEN = "242010056"  # CA du Pays Ajaccien: Ajaccio (2A004) and nine communes of Corse-du-Sud


def test_meteo_france_numbers_corsica_20(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    made = CliRunner().invoke(app, ["init", str(root), "--epci", PAYS_AJACCIEN, "--pack", "climate_adaptation"])
    assert made.exit_code == 0, made.output
    note = (root / "sources" / "stations-meteo-quotidien.yaml").read_text(encoding="utf-8")
    assert "département(s) 20 " in note, note
    renumbered_stations(
        root / "data" / "meteo-france" / "stations-quotidien.csv.gz",
        [("20004002", "AJACCIO"), ("20148001", "BASTIA")],
    )
    Workspace(root).set_parameters("climate_adaptation", {"station_reference": 20004002})
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    with Workspace(root).engine() as engine:
        stations = engine.fetch_all("SELECT station, commune, role FROM model.stations_meteo ORDER BY station")
    assert stations == [("20004002", "2A004", "reference"), ("20148001", None, "hors_territoire")]
