"""OGC API Features overseas: a collection of La Réunion is offered in CRS84 and La Réunion's own
projection (RGR92 / UTM 40S), not in Lambert-93, whose coordinates there overlay nothing; asking
for a projection away from the collection is a 400 that names the ones that fit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from territoria.api import create_app
from territoria.api.routers import ogc_query
from territoria.pipelines import run_pipeline
from territoria.reference.crs import OVERSEAS, PROJECTIONS
from territoria.testing.live import LiveServer
from territoria.workspace import init_workspace

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
UTM40S = "http://www.opengis.net/def/crs/EPSG/0/2975"


@pytest.fixture(scope="module")
def reunion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    ws = init_workspace(tmp_path_factory.mktemp("ogc") / "cinor", communes=["97411", "97418"], packs=["territory"])
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.publication, summary.publication_error
    with LiveServer(create_app(ws.root)) as live, httpx.Client(base_url=live.url) as client:
        yield client


def test_overseas_collections_offer_their_own_projection(reunion: httpx.Client) -> None:
    for cid in ("contours-communes", "densite_population"):
        doc = reunion.get(f"/ogc/collections/{cid}").json()
        assert doc["crs"] == [CRS84, UTM40S], cid
    # the server as a whole still serves every projection of France
    assert {L93, UTM40S} <= set(reunion.get("/ogc/collections").json()["crs"])


def test_overseas_features_in_the_local_projection(reunion: httpx.Client) -> None:
    items = "/ogc/collections/densite_population/items"
    body = reunion.get(items, params={"crs": UTM40S, "limit": 10}).json()
    x0, y0, x1, y1 = unary_union([shape(f["geometry"]) for f in body["features"]]).bounds
    # Saint-Denis and Sainte-Marie: UTM 40S eastings around 330-360 km, northings around 7 660-7 695 km
    assert x0 > 320_000 and x1 < 380_000
    assert y0 > 7_640_000 and y1 < 7_710_000
    box = f"{x0},{y0},{x1},{y1}"
    assert reunion.get(items, params={"bbox": box, "bbox-crs": UTM40S}).json()["numberMatched"] == 2


@pytest.mark.parametrize("params", [{"crs": L93}, {"bbox": "0,0,1,1", "bbox-crs": L93}])
def test_lambert93_is_refused_overseas(reunion: httpx.Client, params: dict[str, str]) -> None:
    response = reunion.get("/ogc/collections/contours-communes/items", params=params)
    assert response.status_code == 400
    assert "does not cover this collection" in response.text and UTM40S in response.text
    assert reunion.get("/ogc/collections/contours-communes/items/1", params={"crs": L93}).status_code == 400


def test_the_api_serves_the_projections_of_reference_crs_and_lists_none_itself() -> None:
    """One list of France's projections (``reference/crs.py``): the one the areas are measured in
    is the one features are served in; the OGC query module names no EPSG code of its own."""
    served = {uri.rsplit("/", 1)[-1] for uri in ogc_query.CRSS if uri != CRS84}
    assert served == {p.code for p in PROJECTIONS} >= {crs.removeprefix("EPSG:") for crs in OVERSEAS.values()}
    source = Path(ogc_query.__file__).read_text(encoding="utf-8")
    for p in PROJECTIONS:
        assert p.code not in source, f"{p.name} is listed in ogc_query.py as well as reference/crs.py"
