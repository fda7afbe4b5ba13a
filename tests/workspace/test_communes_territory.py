"""A territory made of communes (`territoria init --communes`, no EPCI): the rows that summarise
the whole territory say so — mesh `territoire`, code the territory's slug — in every pack's
published tables, and the API, the exports and the OGC collections serve them (before, they
came out as mesh `epci` with an empty code, or the code `territoire`, depending on the pack)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from territoria.api import create_app
from territoria.catalog.packs import available_packs
from territoria.cli.main import app
from territoria.publication.snapshot import current_snapshot
from territoria.testing.live import LiveServer
from territoria.workspace import Workspace

# Bruz (Ille-et-Vilaine), Brest (Finistère), Vannes (Morbihan): three EPCIs, three départements
COMMUNES = ["35047", "29019", "56260"]
SLUG = "territoire-de-3-communes"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("communes") / "ws"
    packs = [arg for name in available_packs() for arg in ("--pack", name)]
    result = CliRunner().invoke(app, ["init", str(root), "--communes", ",".join(COMMUNES), *packs])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert result.exit_code == 0, result.output
    return Workspace(root)


@pytest.fixture(scope="module")
def api(ws: Workspace) -> Iterator[httpx.Client]:
    with LiveServer(create_app(ws.root)) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_the_territory_rows_have_an_honest_mesh_and_code(ws: Workspace) -> None:
    assert (ws.config.epci, ws.config.slug, ws.config.mesh, ws.config.code) == (None, SLUG, "territoire", SLUG)
    assert ws.config.meshes == ["commune", "territoire"]
    with ws.engine() as engine:
        tables = [t for (t,) in engine.fetch_all(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'published' AND column_name = 'mesh'"
        )]  # fmt: skip
        assert "population" in tables and len(tables) > 5
        for table in tables:
            rows = engine.fetch_all(f'SELECT DISTINCT mesh, code FROM published."{table}" WHERE mesh NOT IN '
                                    "('commune', 'iris', 'capteur', 'station', 'departement')")  # fmt: skip
            assert set(rows) <= {("territoire", SLUG)}, (table, rows)
        population = dict(engine.fetch_all("SELECT mesh, sum(value) FROM published.population GROUP BY mesh"))
    assert population["territoire"] == population["commune"] > 0
    snapshot = current_snapshot(ws.private)
    assert snapshot is not None
    catalog = json.loads((snapshot.path / "catalog.json").read_text(encoding="utf-8"))
    for indicator in catalog["indicators"]:
        assert "epci" not in indicator["meshes"], indicator["id"]
    assert {"commune", "territoire"} <= set(next(i for i in catalog["indicators"] if i["id"] == "population")["meshes"])


def test_the_api_the_exports_and_ogc_serve_them(api: httpx.Client) -> None:
    population = api.get("/api/indicators/population").json()
    assert population["meshes"] == ["commune", "territoire"]
    values = api.get("/api/indicators/population/values", params={"mesh": "territoire", "code": SLUG}).json()
    assert values["total"] == 1 and values["values"][0]["libelle"] == "Territoire de 3 communes"
    export = api.get("/api/datasets/population/export", params={"format": "csv"})
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))
    assert {(r["Maille"], r["Code du lieu"]) for r in rows if r["Maille"] != "commune"} == {("territoire", SLUG)}
    geojson = api.get("/api/datasets/population/export", params={"format": "geojson"})
    assert geojson.status_code == 200, geojson.text
    features = api.get("/ogc/collections/population/items", params={"limit": 100}).json()["features"]
    assert sorted(f["properties"]["code"] for f in features) == sorted(COMMUNES)
