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
    """Turtle of the feed's JSON-LD. The feed uses a small subset (compact IRIs, ``@id``,
    ``@type``, ``@value`` with ``@language`` or ``@type``, nested nodes), translated here
    without an RDF library."""
    context: dict[str, str] = doc["@context"]
    lines = [f"@prefix {p}: <{iri}> ." for p, iri in context.items()]
    lines.append("")
    blank = iter(range(1, 1 << 30))

    def iri(term: str) -> str:
        prefix, sep, local = term.partition(":")
        if sep and prefix in context and "/" not in local:
            return f"<{context[prefix]}{local}>"
        return "<" + term.replace(">", "%3E").replace(" ", "%20") + ">"

    def literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return f'"{escaped}"'

    def value(v: Any) -> str:
        if isinstance(v, dict) and "@value" in v:
            text = literal(str(v["@value"]))
            if "@language" in v:
                return f"{text}@{v['@language']}"
            return f"{text}^^{iri(v['@type'])}" if "@type" in v else text
        if isinstance(v, dict):
            return node(v)
        return literal(str(v))

    def node(n: dict[str, Any]) -> str:
        subject = iri(n["@id"]) if "@id" in n else f"_:b{next(blank)}"
        if "@type" in n:
            lines.append(f"{subject} a {iri(n['@type'])} .")
        for key, raw in n.items():
            if key.startswith("@"):
                continue
            for item in raw if isinstance(raw, list) else [raw]:
                lines.append(f"{subject} {iri(key)} {value(item)} .")
        return subject

    node({k: v for k, v in doc.items() if k != "@context"})
    return "\n".join(lines) + "\n"


@router.get("/dcat.jsonld", summary="DCAT-AP 3 catalog (JSON-LD)", responses={200: {"content": {JSONLD: {}}}})
def dcat_jsonld(request: Request, pub: Pub) -> Response:
    return Response(json.dumps(feed(pub, request), ensure_ascii=False).encode(), media_type=JSONLD)


@router.get("/dcat.ttl", summary="DCAT-AP 3 catalog (Turtle)", responses={200: {"content": {TURTLE: {}}}})
def dcat_turtle(request: Request, pub: Pub) -> Response:
    return Response(turtle(feed(pub, request)).encode(), media_type=f"{TURTLE}; charset=utf-8")
