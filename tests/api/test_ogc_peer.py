"""territoria's OGC API Features against pygeoapi, the reference peer, on the same features:
the same ``bbox`` selects the same communes (both intersect shapes), and both refuse the same
invalid parameters with a 400."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from shapely.geometry import shape

from territoria.testing.pygeoapi import serve_pygeoapi

COLLECTION = "densite_population"


@pytest.fixture(scope="module")
def peer(client: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict]]]:
    features = client.get(f"/ogc/collections/{COLLECTION}/items", params={"limit": 10000}).json()["features"]
    # one feature per commune: the latest period (pygeoapi keys features by ``code``)
    latest = max(f["properties"]["period"] for f in features)
    chosen = [f for f in features if f["properties"]["period"] == latest and f["properties"]["mesh"] == "commune"]
    work = tmp_path_factory.mktemp("pygeoapi")
    data = work / "communes.geojson"
    data.write_text(json.dumps({"type": "FeatureCollection", "features": chosen}), encoding="utf-8")
    with serve_pygeoapi(work, data, bbox=(-2.0, 47.9, -1.4, 48.3)) as url:
        yield url, chosen


def _codes(http: httpx.Client, url: str, bbox: str, **extra: str) -> set[str]:
    r = http.get(url, params={"bbox": bbox, "limit": 1000, **extra})
    assert r.status_code == 200, r.text
    return {f["properties"]["code"] for f in r.json()["features"]}


def test_bbox_selects_what_pygeoapi_selects(client: httpx.Client, peer: tuple[str, list[dict]], tmp_path: Path) -> None:
    url, features = peer
    shapes = [shape(f["geometry"]) for f in features]
    x0 = min(s.bounds[0] for s in shapes)
    y0 = min(s.bounds[1] for s in shapes)
    x1 = max(s.bounds[2] for s in shapes)
    y1 = max(s.bounds[3] for s in shapes)
    latest = features[0]["properties"]["period"]
    boxes = []
    n = 6  # a grid of small boxes over the territory, many cutting a commune's bounding box but not its shape
    for i in range(n):
        for j in range(n):
            bx = x0 + (x1 - x0) * i / n
            by = y0 + (y1 - y0) * j / n
            boxes.append(f"{bx},{by},{bx + (x1 - x0) / (3 * n)},{by + (y1 - y0) / (3 * n)}")
    differ_from_bboxes = 0
    with httpx.Client(timeout=30) as http:
        for bbox in boxes:
            ours = _codes(client, f"/ogc/collections/{COLLECTION}/items", bbox, datetime=f"{latest}-06-01T00:00:00Z")
            theirs = _codes(http, f"{url}/collections/communes/items", bbox)
            assert ours == theirs, bbox
            a, b, c, d = map(float, bbox.split(","))
            by_bounds = {
                f["properties"]["code"]
                for f, s in zip(features, shapes, strict=True)
                if s.bounds[0] <= c and s.bounds[2] >= a and s.bounds[1] <= d and s.bounds[3] >= b
            }
            differ_from_bboxes += by_bounds != ours
    assert differ_from_bboxes > 0  # the grid does test shapes against bounding boxes


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"bbox": "1,2,3"}])
def test_invalid_parameters_are_400_on_both(
    client: httpx.Client, peer: tuple[str, list[dict]], params: dict[str, str]
) -> None:
    url, _ = peer
    assert client.get(f"/ogc/collections/{COLLECTION}/items", params=params).status_code == 400
    assert httpx.get(f"{url}/collections/communes/items", params=params, timeout=30).status_code == 400
