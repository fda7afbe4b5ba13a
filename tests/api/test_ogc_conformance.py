"""OGC API - Features Part 1 (core, GeoJSON) as the standard words it: bbox on shapes, datetime,
400 for invalid or unknown parameters, only collections that have features, an honest conformance list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from shapely.geometry import Point, box, shape

ITEMS = "/ogc/collections/densite_population/items"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"


def _all(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.get(path, params={"limit": 10000, **params}).json()
    return body


def test_bbox_selects_shapes_not_their_bounding_boxes(client: httpx.Client) -> None:
    features = _all(client, ITEMS)["features"]
    for feature in features:
        geom = shape(feature["geometry"])
        x0, y0, x1, y1 = geom.bounds
        # a small box in a corner of the bounding box that misses the commune itself
        w, h = (x1 - x0) / 20, (y1 - y0) / 20
        for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            corner = box(
                cx - w if cx == x1 else cx,
                cy - h if cy == y1 else cy,
                cx if cx == x1 else cx + w,
                cy if cy == y1 else cy + h,
            )
            if not corner.intersects(geom):
                break
        else:
            continue
        bbox = ",".join(repr(v) for v in corner.bounds)
        returned = _all(client, ITEMS, bbox=bbox)["features"]
        codes = {f["properties"]["code"] for f in returned}
        assert feature["properties"]["code"] not in codes, (feature["properties"]["code"], bbox)
        assert all(shape(f["geometry"]).intersects(corner) for f in returned)
        expected = {f["properties"]["code"] for f in features if shape(f["geometry"]).intersects(corner)}
        assert codes == expected
        return
    pytest.fail("no commune has a bounding-box corner outside its shape")


def test_bbox_inside_one_commune(client: httpx.Client) -> None:
    rennes = next(f for f in _all(client, ITEMS)["features"] if f["properties"]["code"] == "35238")
    point: Point = shape(rennes["geometry"]).representative_point()
    tiny = f"{point.x - 1e-5},{point.y - 1e-5},{point.x + 1e-5},{point.y + 1e-5}"
    assert {f["properties"]["code"] for f in _all(client, ITEMS, bbox=tiny)["features"]} == {"35238"}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "abc"},
        {"limit": "10001"},
        {"offset": "-1"},
        {"offset": "x"},
        {"colour": "red"},
        {"datetime": "garbage"},
        {"datetime": "2024-13-01T00:00:00Z"},
        {"datetime": "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"},
        {"bbox": "1,2,3"},
    ],
)
def test_invalid_parameters_are_400(client: httpx.Client, params: dict[str, str]) -> None:
    r = client.get(ITEMS, params=params)
    assert r.status_code == 400, r.text
    error = r.json()  # OGC API Features' exception (§7.5): what is wrong, and what is expected
    assert error["code"] == "InvalidParameterValue" and "(" in error["description"]


def test_datetime_filters_on_the_period(client: httpx.Client) -> None:
    every = _all(client, ITEMS)
    years = {f["properties"]["period"] for f in every["features"]}
    year = max(years)
    inside = _all(client, ITEMS, datetime=f"{year}-06-01T00:00:00Z")
    assert inside["numberMatched"] == sum(1 for f in every["features"] if f["properties"]["period"] == year)
    assert _all(client, ITEMS, datetime=f"../{year - 1}-12-31T23:59:59Z")["numberMatched"] == sum(
        1 for f in every["features"] if f["properties"]["period"] < year
    )
    assert _all(client, ITEMS, datetime=f"{year}-01-01/..")["numberMatched"] == inside["numberMatched"]


def test_items_declare_their_crs(client: httpx.Client) -> None:
    r = client.get(ITEMS, params={"limit": 1})
    assert r.headers["content-crs"] == f"<{CRS84}>"


def test_every_listed_collection_has_features(client: httpx.Client) -> None:
    for coll in client.get("/ogc/collections").json()["collections"]:
        items = client.get(f"/ogc/collections/{coll['id']}/items", params={"limit": 1}).json()
        assert items["numberMatched"] > 0 and items["features"][0]["geometry"], coll["id"]


def test_conformance_lists_what_is_honoured(client: httpx.Client) -> None:
    classes = set(client.get("/ogc/conformance").json()["conformsTo"])
    assert classes == {
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    }
    assert client.get("/openapi.json").status_code == 200  # oas30: the service description


def test_collections_declare_their_crs(client: httpx.Client) -> None:
    listing = client.get("/ogc/collections").json()
    assert {CRS84, L93} <= set(listing["crs"])
    coll = client.get("/ogc/collections/densite_population").json()
    assert coll["storageCrs"] == CRS84 and {CRS84, L93} <= set(coll["crs"])


def test_features_in_lambert_93(client: httpx.Client) -> None:
    r = client.get(ITEMS, params={"limit": 100, "crs": L93})
    assert r.status_code == 200 and r.headers["content-crs"] == f"<{L93}>"
    rennes = next(f for f in r.json()["features"] if f["properties"]["code"] == "35238")
    centre = shape(rennes["geometry"]).centroid
    assert abs(centre.x - 351_500) < 5_000 and abs(centre.y - 6_789_500) < 5_000  # Rennes in Lambert-93 metres
    one = client.get(f"/ogc/collections/densite_population/items/{rennes['id']}", params={"crs": L93})
    assert one.headers["content-crs"] == f"<{L93}>" and shape(one.json()["geometry"]).equals_exact(
        shape(rennes["geometry"]), 1e-6
    )


def test_bbox_in_lambert_93(client: httpx.Client) -> None:
    lambert = client.get(ITEMS, params={"limit": 100, "crs": L93}).json()["features"]
    rennes = next(f for f in lambert if f["properties"]["code"] == "35238")
    p = shape(rennes["geometry"]).representative_point()
    r = client.get(ITEMS, params={"bbox": f"{p.x - 5},{p.y - 5},{p.x + 5},{p.y + 5}", "bbox-crs": L93})
    assert r.status_code == 200
    assert {f["properties"]["code"] for f in r.json()["features"]} == {"35238"}
    # the same box read as degrees is refused (out of range), not silently misread
    assert client.get(ITEMS, params={"bbox": f"{p.x - 5},{p.y - 5},{p.x + 5},{p.y + 5}"}).status_code == 400


@pytest.mark.parametrize("param", ["crs", "bbox-crs"])
def test_unsupported_crs_is_400(client: httpx.Client, param: str) -> None:
    r = client.get(ITEMS, params={param: "http://www.opengis.net/def/crs/EPSG/0/3857", "bbox": "-1.7,48.1,-1.6,48.2"})
    assert r.status_code == 400 and "unsupported" in r.json()["description"]
