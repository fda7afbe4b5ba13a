"""OGC API Features against a real pygeoapi, and WFS 2.0 against its contract server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from territoria.workspace import Workspace

from .conftest import CODES, FAST, add_source, fetches, run_one, step, table
from .contract.base import Server
from .contract.pygeoapi_server import communes_geojson
from .contract.wfs import WfsHandler

SCHEMA = {"fields": [{"name": "code", "type": "string"}, {"name": "geom", "type": "geometry"}]}


def test_ogcapi_items_paged_through_next_links(small_ws: Workspace, ogc: tuple[str, dict[str, Any]]) -> None:
    url, _ = ogc
    add_source(small_ws, "communes-x", {"kind": "ogcapi", "url": url, "collection": "communes", "limit": 2, **FAST})
    rec = step(run_one(small_ws, "communes-x"), "communes-x")
    assert rec.status == "success", rec.error
    rows = table(small_ws, "communes-x", "SELECT code, ST_GeometryType(geom)::VARCHAR, ST_Area(geom) > 0 FROM {t}")
    assert sorted(r[0] for r in rows) == sorted(CODES)
    assert {r[1] for r in rows} <= {"POLYGON", "MULTIPOLYGON"} and all(r[2] for r in rows)
    record = fetches(small_ws, "communes-x")[0]
    assert record["headers"]["features"] == 5 and record["headers"]["pages"] == 3

    assert step(run_one(small_ws, "communes-x"), "communes-x").status == "skipped"
    assert fetches(small_ws, "communes-x")[1]["status"] == "unchanged (same content hash)"


def test_ogcapi_bbox(small_ws: Workspace, ogc: tuple[str, dict[str, Any]]) -> None:
    url, doc = ogc
    rennes = next(f for f in doc["features"] if f["id"] == "35238")
    ring = rennes["geometry"]["coordinates"][0]
    ring = ring[0] if isinstance(ring[0][0], list) else ring
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    bbox = [min(xs) + 0.01, min(ys) + 0.01, max(xs) - 0.01, max(ys) - 0.01]
    add_source(small_ws, "near", {"kind": "ogcapi", "url": url, "collection": "communes", "bbox": bbox, **FAST})
    assert step(run_one(small_ws, "near"), "near").status == "success"
    codes = [r[0] for r in table(small_ws, "near", "SELECT code FROM {t}")]
    assert "35238" in codes and len(codes) < len(CODES)


def test_ogcapi_unknown_collection(small_ws: Workspace, ogc: tuple[str, dict[str, Any]]) -> None:
    url, _ = ogc
    add_source(small_ws, "absent", {"kind": "ogcapi", "url": url, "collection": "absent", **FAST})
    rec = step(run_one(small_ws, "absent"), "absent")
    assert rec.status == "failed" and "HTTP 404" in rec.error and "no longer exists" in rec.error


@pytest.fixture
def wfs(tmp_path: Path) -> Iterator[Server]:
    with Server(WfsHandler) as server:
        doc = communes_geojson(CODES, tmp_path / "communes.geojson")
        server.served.state["layers"] = {"rm:communes": doc}
        yield server


def test_wfs_get_feature_paged(small_ws: Workspace, wfs: Server) -> None:
    source = {"kind": "wfs", "url": f"{wfs.url}/geoserver/wfs", "typename": "rm:communes", "count": 2, **FAST}
    add_source(small_ws, "communes-x", source)
    assert step(run_one(small_ws, "communes-x"), "communes-x").status == "success"
    assert sorted(r[0] for r in table(small_ws, "communes-x", "SELECT code FROM {t}")) == sorted(CODES)
    assert [r.query["startIndex"][0] for r in wfs.served.requests] == ["0", "2", "4"]
    assert step(run_one(small_ws, "communes-x"), "communes-x").status == "skipped"


def test_wfs_exception_report(small_ws: Workspace, wfs: Server) -> None:
    source = {"kind": "wfs", "url": f"{wfs.url}/geoserver/wfs", "typename": "rm:absent", **FAST}
    add_source(small_ws, "communes-x", source)
    rec = step(run_one(small_ws, "communes-x"), "communes-x")
    assert rec.status == "failed"
    assert "HTTP 400 Bad Request: InvalidParameterValue — Feature type rm:absent unknown" in rec.error
