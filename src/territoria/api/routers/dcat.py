"""DCAT-AP 3 catalog feed, for national catalogues (data.gouv.fr harvests DCAT) to harvest.

The feed is built at publication time (``pipelines/inspect.dcat_catalog``) with ``urn:`` URIs;
the API rewrites them to its own address so that distributions point to downloadable URLs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from territoria.api.deps import Pub
from territoria.api.publication import Publication

router = APIRouter(prefix="/api", tags=["dcat"])

JSONLD = "application/ld+json"
TURTLE = "text/turtle"


def feed(pub: Publication, request: Request) -> dict[str, Any]:
    doc = pub.catalog["dcat"]
    urn_base = doc["@id"].removesuffix("/catalog")
    base = str(request.base_url).rstrip("/")
    text = json.dumps(doc, ensure_ascii=False).replace(json.dumps(urn_base)[:-1], json.dumps(base)[:-1])
    result: dict[str, Any] = json.loads(text)
    return result


def turtle(doc: dict[str, Any]) -> str:
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=json.dumps(doc), format="json-ld")
    text: str = graph.serialize(format="turtle")
    return text


@router.get("/dcat.jsonld", summary="DCAT-AP 3 catalog (JSON-LD)", responses={200: {"content": {JSONLD: {}}}})
def dcat_jsonld(request: Request, pub: Pub) -> Response:
    return Response(json.dumps(feed(pub, request), ensure_ascii=False).encode(), media_type=JSONLD)


@router.get("/dcat.ttl", summary="DCAT-AP 3 catalog (Turtle)", responses={200: {"content": {TURTLE: {}}}})
def dcat_turtle(request: Request, pub: Pub) -> Response:
    return Response(turtle(feed(pub, request)).encode(), media_type=f"{TURTLE}; charset=utf-8")
