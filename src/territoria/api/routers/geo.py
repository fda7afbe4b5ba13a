"""Commune boundaries of the territory, as GeoJSON, for maps."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response

from territoria.api.deps import Pub
from territoria.core.serves import serves
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api/geo", tags=["geo"])


def communes_geojson(pub: Publication) -> bytes:
    def build() -> bytes:
        territory = pub.manifest["territory"]
        features: list[str] = []
        if pub.boundaries:
            for code, nom, geom in (
                pub.cursor()
                .execute("SELECT code, nom, ST_AsGeoJSON(geometry) FROM geo.communes ORDER BY code")
                .fetchall()
            ):
                props = json.dumps({"code": code, "nom": nom}, ensure_ascii=False)
                features.append(f'{{"type":"Feature","id":{json.dumps(code)},"geometry":{geom},"properties":{props}}}')
        missing = _missing(pub, territory)
        head = json.dumps({"type": "FeatureCollection", "name": territory["name"], "missing": missing})
        return (head[:-1] + ',"features":[' + ",".join(features) + "]}").encode()

    data: bytes = pub.cached("geo:communes", build)
    return data


def _missing(pub: Publication, territory: dict[str, Any]) -> list[dict[str, str | None]]:
    present = (
        {r[0] for r in pub.cursor().execute("SELECT code FROM geo.communes").fetchall()} if pub.boundaries else set()
    )
    names = {}
    if pub.manifest.get("names"):  # the dataset with ``role: referential``
        names = dict(pub.cursor().execute("SELECT code, nom FROM geo.names").fetchall())
    return [{"code": c, "nom": names.get(c)} for c in territory["communes"] if c not in present]


@router.get(
    "/communes",
    summary="Commune boundaries (GeoJSON FeatureCollection, WGS84) and the communes without one",
    openapi_extra=serves("public"),
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def communes(pub: Pub) -> Response:
    return Response(communes_geojson(pub), media_type="application/geo+json")
