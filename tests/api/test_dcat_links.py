"""The DCAT-AP feed a harvester reads: every link it gives resolves on this server, published
models and indicators have distributions, licences are the real licence documents, literals are
tagged with the language they are written in, and the recommended shapes only warn."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from api_support import RESTRICTED, auth
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from territoria.publication.dcat_terms import ETALAB_2_0, language_of

DATA = Path(__file__).parent / "data"
LINKS = (DCAT.accessURL, DCAT.downloadURL, DCAT.landingPage)


@pytest.fixture(scope="module")
def feed(client: httpx.Client) -> Graph:
    return Graph().parse(data=client.get("/api/dcat.ttl").text, format="turtle")


@pytest.fixture(scope="module")
def jsonld(client: httpx.Client) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/dcat.jsonld").json()
    return body


def _open(graph: Graph, link: URIRef) -> bool:
    """Whether the dataset the link belongs to is open (anonymous callers may follow it)."""
    for prop in LINKS:
        for holder in graph.subjects(prop, link):
            dataset = (
                holder if (holder, RDF.type, DCAT.Dataset) in graph else graph.value(None, DCAT.distribution, holder)
            )
            rights = str(graph.value(dataset, DCTERMS.accessRights))
            if not rights.endswith("/PUBLIC"):
                return False
    return True


def test_every_link_resolves(client: httpx.Client, feed: Graph, tokens: dict[str, str]) -> None:
    here = urlsplit(str(client.base_url)).netloc
    links = {o for p in LINKS for o in feed.objects(None, p) if isinstance(o, URIRef)}
    local = sorted(u for u in links if urlsplit(str(u)).netloc == here)
    elsewhere = sorted(u for u in links if urlsplit(str(u)).netloc != here)
    assert len(local) >= 40, local
    failed = []
    for url in local:
        anonymous = _open(feed, url)
        # an administrator reads closed data, saying why for personal data (as the API requires)
        extra = {} if anonymous else {"headers": auth(tokens["admin"]), "params": {"purpose": "DCAT link check"}}
        r = client.get(str(url), **extra)  # type: ignore[arg-type]  # headers/params of httpx
        if not 200 <= r.status_code < 300:
            failed.append((str(url), r.status_code, r.text[:200]))
        if not anonymous and "/export?" in str(url):  # a closed dataset's files are not given to anyone who asks
            assert client.get(str(url)).status_code in (401, 403), url
    assert not failed, failed
    # Upstream links cannot be followed offline: they must at least be absolute web URLs.
    assert all(urlsplit(str(u)).scheme in ("http", "https") for u in elsewhere), elsewhere
    print(f"followed {len(local)} links on the server; {len(elsewhere)} upstream links not followed")


def test_published_models_and_indicators_have_distributions(client: httpx.Client, feed: Graph) -> None:
    catalog = client.get("/api/catalog", params={"limit": 200}).json()
    items = catalog.get("datasets") or catalog.get("items") or catalog.get("results")
    published = {d["id"] for d in items if d.get("published")}
    assert {"densite_population", "population", "communes"} <= published
    for name in published:
        dataset = next(feed.subjects(DCTERMS.identifier, Literal(name)))
        downloads = {str(feed.value(d, DCAT.downloadURL)) for d in feed.objects(dataset, DCAT.distribution)} - {"None"}
        assert any(u.endswith("/export?format=csv") for u in downloads), (name, downloads)
        assert feed.value(dataset, DCTERMS.modified) is not None, name
    indicator = next(feed.subjects(DCTERMS.identifier, Literal("densite_population")))
    formats = {
        str(feed.value(d, DCTERMS.format)).rsplit("/", 1)[-1] for d in feed.objects(indicator, DCAT.distribution)
    }
    assert {"CSV", "GEOJSON", "PARQUET"} <= formats


def test_licences_are_the_real_documents(feed: Graph) -> None:
    licences = set(feed.objects(None, DCTERMS.license))
    assert licences and all(isinstance(u, URIRef) for u in licences), licences
    assert URIRef(ETALAB_2_0) in licences
    here = {u for u in licences if "/licences/" in str(u) or str(u).startswith("urn:")}
    assert not here, here
    for licence in licences:
        assert (licence, RDF.type, DCTERMS.LicenseDocument) in feed


def test_language_tags_follow_the_text(jsonld: dict[str, Any], feed: Graph) -> None:
    tagged = [o for o in feed.objects(None, DCTERMS.description) if isinstance(o, Literal)]
    assert tagged and all(o.language in ("fr", "en") for o in tagged)
    for literal in tagged:
        assert literal.language == language_of(str(literal)), literal
    source = next(feed.subjects(DCTERMS.identifier, Literal("population-communes")))
    # the public summary in French, the technical notes in English, each tagged as it is written
    assert {o.language for o in feed.objects(source, DCTERMS.description)} == {"fr", "en"}
    indicator = next(feed.subjects(DCTERMS.identifier, Literal("densite_population")))
    assert {o.language for o in feed.objects(indicator, DCTERMS.description)} == {"fr"}


def test_spatial_coverage_and_dates(feed: Graph) -> None:
    catalog = next(feed.subjects(RDF.type, DCAT.Catalog))
    assert feed.value(catalog, DCTERMS.modified) is not None
    assert set(feed.objects(catalog, DCTERMS.spatial)) == {URIRef("http://id.insee.fr/geo/intercommunalite/243500139")}
    for dataset in feed.subjects(RDF.type, DCAT.Dataset):
        assert set(feed.objects(dataset, DCTERMS.spatial)), dataset


def test_restricted_distributions_ask_for_a_token(client: httpx.Client, feed: Graph) -> None:
    dataset = next(feed.subjects(DCTERMS.identifier, Literal(RESTRICTED)))
    assert str(feed.value(dataset, DCTERMS.accessRights)).endswith("/RESTRICTED")
    assert set(feed.objects(dataset, DCAT.distribution))


def test_official_shapes_no_violation_and_warnings_listed(feed: Graph) -> None:
    shapes = Graph().parse(DATA / "dcat-ap-3.0.0-SHACL.ttl", format="turtle")
    shapes.parse(DATA / "dcat-ap-3.0.0-shapes_recommended.ttl", format="turtle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _, report, _ = validate(feed, shacl_graph=shapes, inference="none")
    severities: dict[str, int] = {}
    missing: dict[str, int] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        severities[severity] = severities.get(severity, 0) + 1
        path = str(report.value(result, SH.resultPath))
        missing[path] = missing.get(path, 0) + 1
    assert severities.get("Violation", 0) == 0, severities
    print("recommended-shape warnings by property:", dict(sorted(missing.items())))
