"""Every synthetic figure is labelled as such, through its lineage, in the API, the exports and
DCAT; every figure carries its sources' producer, vintage, licence and last update; the
territory's parameters still to fill are listed where they make figures wait."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from territoria.api import create_app
from territoria.catalog.packs import load_pack
from territoria.cli.main import app as cli
from territoria.pipelines import build_plan, run_pipeline
from territoria.publication.dcat import dcat_catalog
from territoria.testing.live import LiveServer
from territoria.workspace import Workspace, init_workspace

COMMUNES = ["35047", "35066"]  # Bruz, Chartres-de-Bretagne
REGION_FILE = "conso-elec-gaz-annuelle-par-naf-agregee-region.bretagne.csv"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("labels") / "ws", communes=COMMUNES, packs=["energy_ghg"])
    # synthetic Agence ORE and Enedis files; the hook labels their sources `synthetic: true`
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    ws.set_parameters("energy_ghg", {"climate_target_reduction": None})  # left for the territory to fill
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)  # and publish the snapshot
    assert not summary.failed, [(r.step, r.error) for r in summary.failed]
    return ws


@pytest.fixture(scope="module")
def api(ws: Workspace) -> Iterator[httpx.Client]:
    with LiveServer(create_app(ws.root)) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_indicators_say_whether_they_are_synthetic_and_where_they_come_from(api: httpx.Client) -> None:
    energy = api.get("/api/indicators/energie_consommation").json()
    assert energy["synthetic"] is True  # fed by the synthetic ORE file, two steps upstream
    sources = {s["id"]: s for s in energy["sources"]}
    ore = sources["conso-elec-gaz-commune"]
    assert ore["synthetic"] is True
    assert ore["producer"].startswith("Agence ORE")
    assert (ore["vintage"], ore["licence"]) == ("2011–2024", "Licence Ouverte / Open Licence")
    assert ore["updated_at"]  # when the file's data last changed
    assert sources["communes-referentiel"]["synthetic"] is False

    population = api.get("/api/indicators/population").json()
    assert population["synthetic"] is False and population["sources"]
    listed = {i["id"]: i["synthetic"] for i in api.get("/api/indicators").json()}
    assert listed["energie_consommation"] is True and listed["population"] is False
    # models and indicators inherit the label in the catalog as well
    assert api.get("/api/catalog/energie_cellules").json()["synthetic"] is True
    assert api.get("/api/catalog/population").json()["synthetic"] is False


def test_exports_carry_the_label(api: httpx.Client, ws: Workspace, tmp_path: Path) -> None:
    answer = api.get("/api/datasets/energie_consommation/export", params={"format": "parquet"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["territoria-synthetic"] == "true"
    (tmp_path / "e.parquet").write_bytes(answer.content)
    meta = pq.read_schema(tmp_path / "e.parquet").metadata
    assert meta[b"territoria:synthetic"] == b"true"
    assert "Données synthétiques" in meta[b"territoria:note"].decode()
    assert "Agence ORE" in meta[b"territoria:producers"].decode()
    real = api.get("/api/datasets/population/export", params={"format": "csv"})
    assert real.headers["territoria-synthetic"] == "false"

    out = tmp_path / "energie.csv"
    result = CliRunner().invoke(cli, ["export", "energie_consommation", "-o", str(out), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    sidecar: dict[str, Any] = json.loads((tmp_path / "energie.csv-metadata.json").read_text(encoding="utf-8"))
    assert sidecar["url"] == "energie.csv" and sidecar["territoria:synthetic"] is True
    assert any(s["producer"].startswith("Agence ORE") for s in sidecar["dc:source"])


def test_dcat_labels_derived_synthetic_datasets(ws: Workspace) -> None:
    nodes = {n["dct:identifier"]: n for n in dcat_catalog(ws, build_plan(ws))["dcat:dataset"]}
    derived = nodes["energie_consommation"]
    assert derived["adms:status"]["@id"].endswith("/UnderDevelopment")
    assert all("données synthétiques" in d["@value"] for d in derived["dct:description"])
    assert any(k["@value"] == "données synthétiques" for k in derived["dcat:keyword"])
    assert "adms:status" not in nodes["population"]


def test_parameters_to_fill_are_shown(ws: Workspace, api: httpx.Client) -> None:
    result = CliRunner().invoke(cli, ["status", "--json", "-w", str(ws.root)])
    to_fill = json.loads(result.output)["parameters_to_fill"]
    assert list(to_fill) == ["energy_ghg"] and list(to_fill["energy_ghg"]) == ["climate_target_reduction"]
    text = CliRunner().invoke(cli, ["status", "-w", str(ws.root)]).output
    assert "à renseigner" in text and "energy_ghg.climate_target_reduction" in text
    waiting = api.get("/api/catalog/ges_trajectoire").json()
    assert waiting["to_fill"] == ["energy_ghg.climate_target_reduction"]


def test_the_territory_is_compared_with_its_real_region(ws: Workspace) -> None:
    """part_region: the (synthetic) consumption of the two communes against Bretagne's real total,
    summed here from Agence ORE's real lines of Bretagne."""
    region_file = Path(__file__).parent / "data" / "real" / REGION_FILE
    bretagne: dict[int, float] = {}
    with region_file.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["filiere"] == "Electricité":
                bretagne[int(row["annee"])] = bretagne.get(int(row["annee"]), 0.0) + float(row["conso"])
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT p.period, p.value, p.region, c.consumption_mwh FROM indicator.part_region p "
            "JOIN published.energie_cellules c ON c.mesh = 'territoire' AND c.sector = 'TOUS' "
            "AND c.energy = p.energy AND c.period = p.period WHERE p.energy = 'electricite' ORDER BY 1"
        )
    assert [r[0] for r in rows] == list(range(2011, 2022))  # the years both files cover
    # the protection loop may hide the territory's electricity total of some years: so is the share
    assert all(r[1] is None for r in rows if r[3] is None)
    rows = [r for r in rows if r[3] is not None]
    assert rows
    for period, value, region, territory in rows:
        assert region == "Bretagne"
        assert value == pytest.approx(round(100 * territory / bretagne[period], 2), abs=0.006)
