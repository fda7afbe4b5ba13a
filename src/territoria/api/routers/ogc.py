"""OGC API - Features (Part 1: Core, GeoJSON) under ``/ogc``, so that QGIS and GDAL read the data.

What the collections are and how their features are encoded (each when first read, a page
alone until the whole collection is): ``api/ogc_features.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from territoria.api.deps import Pub, Purpose, Who, readable
from territoria.api.errors import ApiError
from territoria.api.ogc_errors import OGC_RESPONSES, PREFIX
from territoria.api.ogc_features import Collection, Encoded, collections
from territoria.api.routers.ogc_query import (
    CRS84,
    CRSS,
    STORAGE_CRS,
    Box,
    box_intersects,
    check_crs_fits,
    crss_for,
    in_period,
    int_param,
    parse_bbox,
    parse_crs,
    parse_datetime,
)
from territoria.core.errors import NotFoundError
from territoria.core.serves import serves
from territoria.core.suggest import did_you_mean
from territoria.publication.reader import DatasetMeta, Publication

# errors answer in OGC's exception format, documented as such (``api/ogc_errors.py``)
router = APIRouter(prefix=PREFIX, tags=["ogc-api-features"], responses=OGC_RESPONSES)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GEOJSON = "application/geo+json"
MAX_LIMIT = 10000


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _visible(request: Request, who: Any, coll: Collection) -> bool:
    return coll.meta is None or readable(request, who, coll.meta)


def _collection_doc(base: str, coll: Collection, pub: Publication) -> dict[str, Any]:
    extent = coll.summary(pub).extent
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": crss_for(extent),
        "storageCrs": STORAGE_CRS,
        "links": [
            {"href": f"{base}/collections/{coll.id}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{coll.id}/items", "rel": "items", "type": GEOJSON},
        ],
    }
    if extent:
        doc["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return doc


def _get(pub: Publication, cid: str) -> Collection:
    found = collections(pub)
    coll = found.get(cid)
    if coll is None:
        raise NotFoundError(f"unknown collection {cid[:80]!r}", hint=did_you_mean(cid, list(found)))
    return coll


def collection_meta(pub: Publication, cid: str) -> DatasetMeta | None:
    """The dataset a collection serves (None: the boundaries, open reference data): the access
    check (``deps.guard``) decides on it before the route runs."""
    return _get(pub, cid).meta


@router.get("", summary="OGC API landing page", openapi_extra=serves("public"))
async def landing(request: Request, pub: Pub) -> JSONResponse:
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "title": f"{pub.manifest['territory']['name']} — OGC API Features",
            "description": "Données géographiques publiées par territoria",
            "links": [
                {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
                {
                    "href": f"{root}/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                },
                {"href": f"{root}/docs", "rel": "service-doc", "type": "text/html"},
                {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
            ],
        }
    )


@router.get("/conformance", summary="Conformance classes", openapi_extra=serves("public"))
async def conformance() -> JSONResponse:
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="Feature collections", openapi_extra=serves("public"))
async def list_collections(request: Request, pub: Pub, who: Who) -> JSONResponse:
    base = _base(request)
    docs = [_collection_doc(base, c, pub) for c in collections(pub).values() if _visible(request, who, c)]
    links = [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}]
    return JSONResponse({"links": links, "crs": list(CRSS), "collections": docs})


CollectionId = Annotated[str, Path(max_length=100)]


@router.get(
    "/collections/{collection_id}",
    summary="One feature collection",
    openapi_extra=serves("dataset", "collection_id", lookup="collection", action="ogc-collection"),
)
async def get_collection(request: Request, pub: Pub, collection_id: CollectionId) -> JSONResponse:
    return JSONResponse(_collection_doc(_base(request), _get(pub, collection_id), pub))


#: the values of ``f`` the feature routes answer (both give GeoJSON)
FORMATS = ("json", "geojson")

#: the query parameters of ``/items``: any other is refused (OGC API Features Part 1, /req/core/query-param-unknown)
ITEMS_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "purpose", "f"}


def _query_shapes(box: Box, crs: str) -> list[str]:
    """The ``bbox`` as SQL geometries in CRS84 (two across the antimeridian)."""
    x0, y0, x1, y1 = box
    if crs == CRS84:
        boxes = [(x0, y0, x1, y1)] if x0 <= x1 else [(x0, y0, 180.0, y1), (-180.0, y0, x1, y1)]
        return [f"ST_MakeEnvelope({a!r}, {b!r}, {c!r}, {d!r})" for a, b, c, d in boxes]
    # a projected box is a polygon in CRS84, its edges densified: they curve once projected back
    n = 16
    ring = (
        [(x0 + (x1 - x0) * i / n, y0) for i in range(n)]
        + [(x1, y0 + (y1 - y0) * i / n) for i in range(n)]
        + [(x1 - (x1 - x0) * i / n, y1) for i in range(n)]
        + [(x0, y1 - (y1 - y0) * i / n) for i in range(n)]
    )
    wkt = "POLYGON((" + ", ".join(f"{x!r} {y!r}" for x, y in [*ring, ring[0]]) + "))"
    return [f"ST_Transform(ST_GeomFromText('{wkt}'), '{CRSS[crs]}', 'OGC:CRS84')"]


def _within(pub: Publication, coll: Encoded, box: Box, crs: str) -> list[int]:
    """Indexes of the features whose geometry intersects ``box``: the bounding boxes first (cheap),
    then DuckDB spatial's exact ``ST_Intersects`` on the candidates' shapes."""
    shapes = _query_shapes(box, crs)
    prefilter = box
    if crs != CRS84:
        row = pub.cursor().execute(f"SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT {shapes[0]} g)")
        prefilter = row.fetchone() or box
    candidates = [i for i, b in enumerate(coll.bboxes) if box_intersects(b, prefilter)]
    if not candidates:
        return []
    test = " OR ".join(f"ST_Intersects(g, {shape})" for shape in shapes)
    rows = (
        pub.cursor()
        .execute(
            f"SELECT i FROM (SELECT unnest($1) AS i, ST_GeomFromWKB(unnest($2)) AS g) WHERE {test} ORDER BY i",
            [candidates, [coll.shapes[i] for i in candidates]],
        )
        .fetchall()
    )
    return [r[0] for r in rows]


def _in_crs(pub: Publication, features: list[str], crs: str) -> list[str]:
    """``features`` (GeoJSON text in CRS84) with their geometries in ``crs``."""
    if crs == STORAGE_CRS or not features:
        return features
    docs = [json.loads(f) for f in features]
    geometries = [json.dumps(d["geometry"]) if d["geometry"] else None for d in docs]
    rows = (
        pub.cursor()
        .execute(
            "SELECT ST_AsGeoJSON(ST_Transform(ST_GeomFromGeoJSON(g), 'OGC:CRS84', $2)) "
            "FROM (SELECT unnest($1) AS g, generate_subscripts($1, 1) AS n) ORDER BY n",
            [geometries, CRSS[crs]],
        )
        .fetchall()
    )
    out = []
    for doc, (geometry,) in zip(docs, rows, strict=True):
        doc["geometry"] = json.loads(geometry) if geometry else None
        out.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    return out


def _selected(
    pub: Publication,
    coll: Collection,
    window: tuple[int, int],
    box: tuple[Box | None, str],
    period: tuple[datetime | None, datetime | None] | None,
) -> tuple[list[str], int]:
    """The page ``window`` (start, size) of the features the filters keep, and how many they keep."""
    (start, size), (bbox, bbox_crs) = window, box
    if bbox is None and (period is None or not coll.dated):
        # nothing filters: a page costs its own features, not a pass over the collection
        matched = coll.summary(pub).matched
        return coll.page(pub, start, min(size, max(0, matched - start))), matched
    if bbox is not None and (period is None or not coll.dated) and not coll.is_encoded:
        # a bbox read before the collection is encoded: DuckDB finds the features, the page alone is encoded
        positions = coll.intersecting(pub, _query_shapes(bbox, bbox_crs))
        return coll.at(pub, positions[start : start + size]), len(positions)
    encoded = coll.encoded(pub)
    indexes: Sequence[int] = range(len(encoded.features)) if bbox is None else _within(pub, encoded, bbox, bbox_crs)
    if period is not None and encoded.years is not None:  # a collection without dates is not filtered in time
        years = encoded.years
        indexes = [i for i in indexes if in_period(years[i], period)]
    return [encoded.features[i] for i in indexes[start : start + size]], len(indexes)


def _once(params: Any) -> None:
    """A parameter given twice (``limit=1&limit=2``) is ambiguous: refused, not one of them picked."""
    twice = sorted(k for k in set(params) if len(params.getlist(k)) > 1)
    if twice:
        raise ApiError(400, f"query parameter {twice[0][:40]!r} is given more than once", hint="give it once")
    # features are served as GeoJSON only: another format asked for is refused, not answered in GeoJSON
    wanted = params.get("f")
    if wanted is not None and wanted.lower() not in FORMATS:
        raise ApiError(400, f"unsupported format f={wanted[:40]!r}", hint=f"one of: {', '.join(FORMATS)}")


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection (GeoJSON)",
    responses={200: {"content": {GEOJSON: {}}}},
    openapi_extra=serves("dataset", "collection_id", lookup="collection", action="ogc-items"),
)
async def items(
    request: Request,
    pub: Pub,
    collection_id: CollectionId,
    purpose: Purpose = None,
    limit: Annotated[str | None, Query(description=f"1 to {MAX_LIMIT} (default 10)")] = None,
    offset: Annotated[str | None, Query(description="0 or more (default 0)")] = None,
    bbox: Annotated[str | None, Query(max_length=200, description="minLon,minLat,maxLon,maxLat")] = None,
    crs: Annotated[str | None, Query(max_length=200, description="CRS of the geometries returned")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", max_length=200, description="CRS of bbox")] = None,
    datetime_: Annotated[
        str | None, Query(alias="datetime", max_length=100, description="RFC 3339 instant or interval")
    ] = None,
) -> Response:
    params = request.query_params
    unknown = sorted(set(params) - ITEMS_PARAMS)
    if unknown:
        raise ApiError(
            400, f"unknown query parameter {unknown[0][:40]!r}", hint=f"supported: {', '.join(sorted(ITEMS_PARAMS))}"
        )
    _once(params)
    size = int_param(params, "limit", 10, 1, MAX_LIMIT)
    start = int_param(params, "offset", 0, 0, 10**9)
    out_crs, box_crs = parse_crs(crs, "crs"), parse_crs(bbox_crs, "bbox-crs")
    coll = _get(pub, collection_id)
    extent = coll.summary(pub).extent
    check_crs_fits(out_crs, extent, "crs")
    if bbox is not None:
        check_crs_fits(box_crs, extent, "bbox-crs")
    box = parse_bbox(bbox, box_crs) if bbox is not None else None
    period = parse_datetime(datetime_) if datetime_ is not None else None
    page, matched = _selected(pub, coll, (start, size), (box, box_crs), period)
    page = _in_crs(pub, page, out_crs)
    base = f"{_base(request)}/collections/{coll.id}/items"
    given = (("bbox", bbox), ("bbox-crs", bbox_crs), ("crs", crs), ("datetime", datetime_))
    extra = "".join(f"&{k}={quote(v, safe='')}" for k, v in given if v)
    links = [
        {"href": f"{base}?limit={size}&offset={start}{extra}", "rel": "self", "type": GEOJSON},
        {"href": f"{_base(request)}/collections/{coll.id}", "rel": "collection", "type": "application/json"},
    ]
    if start + size < matched:
        links.append({"href": f"{base}?limit={size}&offset={start + size}{extra}", "rel": "next", "type": GEOJSON})
    if start > 0:
        links.append(
            {"href": f"{base}?limit={size}&offset={max(0, start - size)}{extra}", "rel": "prev", "type": GEOJSON}
        )
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(page) + "]}"
    return Response(body.encode(), media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs}>"})


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    responses={200: {"content": {GEOJSON: {}}}},
    openapi_extra=serves("dataset", "collection_id", lookup="collection", action="ogc-item"),
)
async def item(
    request: Request,
    pub: Pub,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(max_length=20)],
    purpose: Purpose = None,
    crs: Annotated[str | None, Query(max_length=200, description="CRS of the geometry returned")] = None,
) -> Response:
    unknown = sorted(set(request.query_params) - {"crs", "purpose", "f"})
    if unknown:
        raise ApiError(400, f"unknown query parameter {unknown[0][:40]!r}", hint="supported: crs, f, purpose")
    _once(request.query_params)
    out_crs = parse_crs(crs, "crs")
    coll = _get(pub, collection_id)
    check_crs_fits(out_crs, coll.summary(pub).extent, "crs")
    index = int(feature_id) if feature_id.isascii() and feature_id.isdigit() and len(feature_id) < 10 else 0
    found = coll.page(pub, index - 1, 1) if index >= 1 else []
    if not found:
        raise NotFoundError(f"no feature {feature_id[:20]!r} in {coll.id}", hint="feature ids are 1..numberMatched")
    base = f"{_base(request)}/collections/{coll.id}"
    links = json.dumps(
        [
            {"href": f"{base}/items/{index}", "rel": "self", "type": GEOJSON},
            {"href": base, "rel": "collection", "type": "application/json"},
        ]
    )
    feature = _in_crs(pub, found, out_crs)[0]
    return Response(
        (feature[:-1] + f',"links":{links}}}').encode(), media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs}>"}
    )
