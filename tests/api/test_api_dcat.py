"""The DCAT-AP feed validates against the official DCAT-AP 3.0.0 SHACL shapes, in JSON-LD and Turtle."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF

SHAPES = Path(__file__).parent / "data" / "dcat-ap-3.0.0-SHACL.ttl"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def _check(graph: Graph, shapes: Graph) -> None:
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text[:4000]
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) >= 8
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert set(graph.objects(catalog, DCAT.dataset)) == datasets


def test_turtle_conforms(client: httpx.Client, shapes: Graph) -> None:
    r = client.get("/api/dcat.ttl")
    assert r.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=r.text, format="turtle")
    _check(graph, shapes)
    # Distributions point to this server's API (the feed was published with urn: URIs).
    urls = {str(o) for o in graph.objects(None, DCAT.accessURL)}
    assert any(u.startswith(str(client.base_url)) for u in urls), urls


def test_jsonld_and_turtle_say_the_same(client: httpx.Client, shapes: Graph) -> None:
    from rdflib.compare import isomorphic

    ttl = Graph().parse(data=client.get("/api/dcat.ttl").text, format="turtle")
    r = client.get("/api/dcat.jsonld")
    assert r.headers["content-type"].startswith("application/ld+json")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own JSON-LD parser warns about itself
        jsonld = Graph().parse(data=r.text, format="json-ld")
    assert isomorphic(ttl, jsonld)
    assert (URIRef(f"{client.base_url}/catalog"), RDF.type, DCAT.Catalog) in jsonld
