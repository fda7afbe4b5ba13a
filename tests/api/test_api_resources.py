"""Every resource against the built workspace, through a real server."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pyarrow.parquet as pq
import pytest
from api_support import NO_BOUNDARY

from territoria.workspace import Workspace


def test_indicators_list_and_values(client: httpx.Client) -> None:
    listed = client.get("/api/indicators").json()
    ids = {i["id"] for i in listed}
    assert {"population", "densite_population"} <= ids
    pop = next(i for i in listed if i["id"] == "population")
    assert pop["periods"] == [2022] and pop["unit"] == "habitants" and pop["access"] == "open"
    assert set(pop["meshes"]) == {"commune", "epci"} and pop["readable"] is True
    body = client.get("/api/indicators/population/values", params={"mesh": "commune", "code": "35238"}).json()
    assert body["total"] == 1
    rennes = body["values"][0]
    assert rennes["libelle"] == "Rennes" and rennes["value"] > 200000
    for key in ("period", "unit", "secret", "masked_share", "estimated_share", "completeness"):
        assert key in rennes
    epci = client.get("/api/indicators/population/values", params={"mesh": "epci"}).json()["values"][0]
    communes = client.get("/api/indicators/population/values", params={"mesh": "commune", "limit": 100}).json()
    assert epci["value"] == sum(v["value"] for v in communes["values"])


def test_indicator_values_pagination(client: httpx.Client) -> None:
    first = client.get("/api/indicators/population/values", params={"limit": 5, "offset": 0}).json()
    second = client.get("/api/indicators/population/values", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] == 45  # 44 communes + the EPCI
    assert {v["code"] for v in first["values"]}.isdisjoint({v["code"] for v in second["values"]})


def test_unknown_indicator_suggests(client: httpx.Client) -> None:
    r = client.get("/api/indicators/densite_populaton/values")
    assert r.status_code == 404
    assert "densite_population" in r.json()["error"]["hint"]


def test_lineage_reaches_sources(client: httpx.Client) -> None:
    tree = client.get("/api/indicators/densite_population/lineage").json()
    assert tree["name"] == "densite_population" and tree["layer"] == "indicator" and tree["hash"]
    layers: set[str] = set()

    def walk(node: dict[str, object]) -> None:
        layers.add(str(node["layer"]))
        for child in node["children"]:  # type: ignore[attr-defined]
            walk(child)

    walk(tree)
    assert {"indicator", "model", "staging", "landing", "source"} <= layers


def test_geo_communes(client: httpx.Client) -> None:
    r = client.get("/api/geo/communes")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 43
    assert fc["missing"] == [{"code": NO_BOUNDARY, "nom": "Sannerville"}]
    f = fc["features"][0]
    assert set(f["properties"]) == {"code", "nom"} and f["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_catalog_search_and_page(client: httpx.Client) -> None:
    cat = client.get("/api/catalog").json()
    by_id = {d["id"]: d for d in cat["datasets"]}
    assert by_id["conso-gaz-communes"]["access"] == "restricted" and by_id["conso-gaz-communes"]["readable"] is False
    assert by_id["population-communes"]["quarantined"] == 0
    found = client.get("/api/catalog", params={"q": "densite"}).json()["datasets"]
    assert [d["id"] for d in found] == ["densite_population"]
    page = client.get("/api/catalog/population-communes").json()
    assert page["schema"]["primaryKey"] == ["CODGEO", "ANNEE"]
    assert page["licence"] and page["frequency"] == "annual" and page["freshness"] == "fresh"
    assert page["last_runs"][0]["status"] == "success" and page["links"]["rows"]
    assert client.get("/api/datasets/population-communes").json()["id"] == "population-communes"


def test_runs(client: httpx.Client) -> None:
    runs = client.get("/api/runs").json()
    assert runs["total"] >= 1 and runs["runs"][0]["status"] == "success"
    one = client.get(f"/api/runs/{runs['runs'][0]['run_id']}").json()
    assert {s["step"] for s in one["steps"]} >= {"ingest:population-communes", "indicator:population"}
    assert client.get("/api/runs/nope").status_code == 404


def test_dataset_rows_filters_sort(client: httpx.Client) -> None:
    r = client.get(
        "/api/datasets/communes/rows",
        params={"filter": ["population:gt:20000", "nom:like:e"], "sort": "-population", "limit": 3},
    ).json()
    pops = [row["population"] for row in r["rows"]]
    assert pops == sorted(pops, reverse=True) and all(p > 20000 for p in pops) and r["total"] >= len(pops)
    assert r["rows"][0]["nom"] == "Rennes"
    inlist = client.get("/api/datasets/communes/rows", params={"filter": "code:in:35238|35047"}).json()
    assert {row["code"] for row in inlist["rows"]} == {"35238", "35047"}


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("csv", lambda b: b.startswith(b"\xef\xbb\xbf") and b";" in b.splitlines()[0]),
        ("csv-std", lambda b: b"," in b.splitlines()[0] and not b.startswith(b"\xef\xbb\xbf")),
    ],
)
def test_csv_exports(client: httpx.Client, fmt: str, check: object) -> None:
    r = client.get("/api/datasets/densite_population/export", params={"format": fmt})
    assert r.status_code == 200 and check(r.content)  # type: ignore[operator]
    delimiter = ";" if fmt == "csv" else ","
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=delimiter))
    code, value = ("Code du lieu", "Valeur (hab/km²)") if fmt == "csv" else ("code", "value")  # French titles
    rennes = next(row for row in rows if row[code] == "35238")
    assert ("," in rennes[value]) == (fmt == "csv")


def test_geojson_and_parquet_exports(client: httpx.Client) -> None:
    gj = json.loads(client.get("/api/datasets/densite_population/export", params={"format": "geojson"}).content)
    with_geom = [f for f in gj["features"] if f["geometry"]]
    assert len(with_geom) == 43
    raw = client.get("/api/datasets/communes/export", params={"format": "parquet"}).content
    table = pq.read_table(io.BytesIO(raw))
    assert table.num_rows == 44 and "population" in table.column_names
    r = client.get("/api/datasets/communes/export", params={"format": "docx"})
    assert r.status_code == 422 and "export format" in r.json()["error"]["message"]


def test_new_publication_is_picked_up(built_ws: Workspace, client: httpx.Client, tmp_path: object) -> None:
    """A run while the server is up: the next request sees its publication, with no restart."""
    from territoria.pipelines import run_pipeline

    before = client.get("/api/runs").json()
    with built_ws.engine() as engine:
        summary = run_pipeline(built_ws, engine, only=["densite_population"], force=True)
    after = client.get("/api/runs").json()
    assert after["published_run"] == summary.run_id != before["published_run"]
    assert after["total"] == before["total"] + 1
    assert client.get("/api/indicators/densite_population/values").json()["total"] == 45
