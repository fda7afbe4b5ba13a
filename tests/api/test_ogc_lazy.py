"""OGC collections are encoded when first read, and only what is read: knowing the collections
encodes nothing, a first page encodes the block of features that holds it, and blocks encoded one
by one are byte for byte the whole collection encoded at once."""

from __future__ import annotations

import httpx
import pytest
from api_support import LiveServer

from territoria.api import create_app, ogc_features
from territoria.api.ogc_features import collections
from territoria.api.routers.ogc import _query_shapes, _within
from territoria.api.routers.ogc_query import CRS84, LAMBERT93
from territoria.publication.reader import PublicationSource
from territoria.workspace import Workspace


def test_blocks_encoded_one_by_one_are_the_whole_collection(
    built_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ogc_features, "BLOCK", 3)  # many blocks, a last one cut short
    monkeypatch.setattr(ogc_features, "WHOLE_AFTER", 10**6)  # every block read one by one
    pub = PublicationSource(built_ws.private).get()
    found = collections(pub)
    assert len(found) >= 3 and all(c._encoded is None and not c._blocks for c in found.values())
    for coll in found.values():
        whole = coll._encode(pub, None)
        matched = coll.summary(pub).matched
        assert len(whole.features) == matched > 0
        # pages across block boundaries, in no particular order, then the whole from the blocks
        pages = {start: coll.page(pub, start, 2) for start in range(matched - 1, -1, -2)}
        assert all(pages[s] == whole.features[s : s + 2] for s in pages)
        assert coll._encoded is not None and not coll._blocks  # every block read: put together
        assert coll._encoded.features == whole.features and coll._encoded.shapes == whole.shapes
        assert repr(coll._encoded.bboxes) == repr(whole.bboxes) and coll._encoded.years == whole.years


def test_the_first_request_of_a_collection_encodes_only_it(
    built_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ogc_features, "BLOCK", 10)  # the test's collections are small
    app = create_app(built_ws.root)
    with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        listed = client.get("/ogc/collections").json()["collections"]
        pub = app.state.territoria.source.get()
        found = collections(pub)
        assert {c["id"] for c in listed} < set(found)
        assert all(c._encoded is None and not c._blocks for c in found.values())
        assert all(c["extent"]["spatial"]["bbox"][0][0] < c["extent"]["spatial"]["bbox"][0][2] for c in listed)
        first = client.get("/ogc/collections/densite_population/items", params={"limit": 5, "offset": 3})
        assert first.status_code == 200
        others = [c for cid, c in found.items() if cid != "densite_population"]
        assert others and all(c._encoded is None and not c._blocks for c in others)
        target = found["densite_population"]
        assert target._encoded is None and list(target._blocks) == [0]  # the block of the page, only
        assert target.summary(pub).matched > 10
        with_box = client.get("/ogc/collections/densite_population/items", params={"bbox": "-2,47,-1,49"})
        assert with_box.status_code == 200 and with_box.json()["numberMatched"] > 0
        assert target._encoded is None  # DuckDB finds what the box keeps: the page alone is encoded
        in_time = client.get("/ogc/collections/densite_population/items", params={"datetime": "2000-01-01/.."})
        assert in_time.status_code == 200 and target._encoded is not None  # a year filter reads every feature
        again = client.get("/ogc/collections/densite_population/items", params={"limit": 5, "offset": 3})
        one = client.get("/ogc/collections/densite_population/items/4")
    strip = ("timeStamp",)
    before = {k: v for k, v in first.json().items() if k not in strip}
    after = {k: v for k, v in again.json().items() if k not in strip}
    assert before == after and before["numberMatched"] == target.summary(pub).matched
    assert [f["id"] for f in before["features"]] == [4, 5, 6, 7, 8]
    assert one.json()["properties"] == before["features"][0]["properties"]


def test_a_client_reading_widely_has_the_whole_collection_encoded_once(
    built_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ogc_features, "BLOCK", 3)
    monkeypatch.setattr(ogc_features, "WHOLE_AFTER", 3)
    pub = PublicationSource(built_ws.private).get()
    coll = collections(pub)["contours-communes"]
    whole = coll._encode(pub, None).features
    assert coll.page(pub, 0, 2) == whole[0:2] and coll.page(pub, 10, 4) == whole[10:14]  # blocks 0, 3 and 4
    assert coll._encoded is None and sorted(coll._blocks) == [0, 3, 4]
    assert coll.page(pub, 30, 2) == whole[30:32]  # a fourth block: the whole collection, once
    assert coll._encoded is not None and coll._encoded.features == whole and not coll._blocks


BOXES = [
    ((-1.75, 48.05, -1.6, 48.15), CRS84),
    ((-1.7, 48.0, -1.5, 48.2), CRS84),
    ((170.0, -30.0, -170.0, 60.0), CRS84),  # across the antimeridian
    ((340000.0, 6780000.0, 360000.0, 6800000.0), LAMBERT93),
    ((-180.0, -90.0, 180.0, 90.0), CRS84),
]


def test_a_bbox_read_before_the_collection_is_encoded_finds_the_same_features(built_ws: Workspace) -> None:
    """DuckDB finds the features a bbox keeps and the page alone is encoded: the same features,
    in the same order, with the same ids, as the filter on the whole encoded collection."""
    pub = PublicationSource(built_ws.private).get()
    for coll in collections(pub).values():
        whole = coll._encode(pub, None)
        for box, crs in BOXES:
            positions = coll.intersecting(pub, _query_shapes(box, crs))
            assert positions == _within(pub, whole, box, crs), (coll.id, box)
            assert coll.at(pub, positions[1:4]) == [whole.features[i] for i in positions[1:4]], (coll.id, box)
        assert coll._encoded is None  # nothing was encoded whole
    assert any(coll.intersecting(pub, _query_shapes(*BOXES[0])) for coll in collections(pub).values())


@pytest.mark.parametrize("props", [["k"], []])
def test_features_whose_properties_tie_are_each_on_one_page(built_ws: Workspace, props: list[str]) -> None:
    """Blocks are separate sorted queries: features with equal properties (or none) must fall on
    the same side of a block boundary in each, or a client paging through gets some twice and
    misses others."""
    pub = PublicationSource(built_ws.private).get()
    source = "(SELECT ST_Point(i % 997, i // 997) AS geometry, i % 2 AS k FROM range(3500) r(i)) d"
    coll = ogc_features.Collection("ties", "Ties", "", None, source, "d.geometry", props)
    whole = coll._encode(pub, None).features
    paged = [f for start in range(0, 3500, 999) for f in coll.page(pub, start, 999)]
    assert coll._encoded is None or len(coll._encoded.features) == 3500
    geometries = [f.split('"geometry":', 1)[1].split(',"properties"')[0] for f in paged]
    assert len(set(geometries)) == 3500  # every feature once
    assert paged == whole
