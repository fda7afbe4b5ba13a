"""DCAT-AP 3 catalog feed, for national catalogues (data.gouv.fr harvests DCAT) to harvest.

The feed is built at publication time (``publication/dcat.py``) with ``urn:`` IRIs; it is
served with its IRIs moved to the API's own address, so distributions point to downloadable URLs.
Each dataset's access rights are the level this API enforces (its effective level under the
current policies: a dataset made from restricted inputs is not announced as public).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from territoria.api.deps import Pub, level_of
from territoria.core.serves import serves
from territoria.publication import dcat
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api", tags=["dcat"])

JSONLD = "application/ld+json"
TURTLE = "text/turtle"


def feed(pub: Publication, request: Request) -> dict[str, Any]:
    doc = dcat.feed(pub.catalog["dcat"], str(request.base_url))  # a copy: the stored feed stays as built
    return dcat.with_access_rights(doc, {name: level_of(request, meta).value for name, meta in pub.datasets.items()})


@router.get(
    "/dcat.jsonld",
    summary="DCAT-AP 3 catalog (JSON-LD)",
    openapi_extra=serves("public"),
    responses={200: {"content": {JSONLD: {}}}},
)
def dcat_jsonld(request: Request, pub: Pub) -> Response:
    return Response(json.dumps(feed(pub, request), ensure_ascii=False).encode(), media_type=JSONLD)


@router.get(
    "/dcat.ttl",
    summary="DCAT-AP 3 catalog (Turtle)",
    openapi_extra=serves("public"),
    responses={200: {"content": {TURTLE: {}}}},
)
def dcat_turtle(request: Request, pub: Pub) -> Response:
    return Response(dcat.turtle(feed(pub, request)).encode(), media_type=f"{TURTLE}; charset=utf-8")
