"""DCAT-AP 3 catalog of a workspace, as JSON-LD and Turtle, for national catalogues to harvest.

Each source entry becomes a ``dcat:Dataset`` with its distribution (the upstream or local
source); derived datasets and indicators are datasets whose ``prov:wasDerivedFrom`` names
their inputs, so a harvester sees the lineage too. The feed is built at publication time with
``urn:`` IRIs (``dcat_catalog``); the API moves it to its own address with ``rebase``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

from territoria.catalog.model import FREQUENCIES, DatasetEntry
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import DatasetInfo, IndicatorStep
from territoria.publication.dcat_nodes import NodeCache, Served
from territoria.publication.dcat_terms import (
    AVAILABLE,
    ETALAB_2_0,
    FILE_TYPE_URI,
    IANA_MEDIA,
    THEME_URI,
    api_distributions,
    derived_licence,
    language_ref,
    licence_ref,
    licence_uri,
    literal,
    places,
    themes,
)
from territoria.publication.provenance import SYNTHETIC_LABEL, synthetic
from territoria.publication.turtle import to_turtle
from territoria.workspace import Workspace

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcatap": "http://data.europa.eu/r5r/",
}

FREQ_URI = "http://publications.europa.eu/resource/authority/frequency/"
FREQ_CODES = {
    "continuous": "CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "semiannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "irregular": "IRREG",
    "never": "NEVER",
}
ACCESS_URI = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_CODES = {"open": "PUBLIC", "restricted": "RESTRICTED", "personal": "NON_PUBLIC"}
FILE_TYPES = {"csv": "CSV", "parquet": "PARQUET", "json": "JSON", "geojson": "GEOJSON", "xlsx": "XLSX", "zip": "ZIP"}
assert set(FREQ_CODES) == set(FREQUENCIES)


def _date(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _datetime(value: str | None) -> dict[str, str] | None:
    return {"@value": value, "@type": "xsd:dateTime"} if value else None


def _ref(uri: str, rdf_type: str) -> dict[str, str]:
    """A typed reference: DCAT-AP's SHACL shapes check the class of each linked resource."""
    return {"@id": uri, "@type": rdf_type}


def _page(base: str, identifier: str) -> dict[str, str]:
    """The dataset's page in the API's catalog (``GET /api/catalog/{id}``), its landing page."""
    return _ref(f"{base}/api/catalog/{quote(identifier)}", "foaf:Document")


def _common(
    base: str, identifier: str, title: str, descriptions: list[str], access: str, served: Served, spatial: list[Any]
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{base}/datasets/{identifier}",
        "@type": "dcat:Dataset",
        "dct:identifier": identifier,
        "dct:title": literal(title),
        "dct:description": [literal(d) for d in descriptions],
        "dct:accessRights": _ref(ACCESS_URI + ACCESS_CODES[access], "dct:RightsStatement"),
        "dct:language": language_ref(),
        "dct:spatial": spatial,
        "dcat:landingPage": [_page(base, identifier)],
    }
    modified = _datetime(served.modified)
    if modified:
        node["dct:modified"] = modified
    return node


def entry_to_dcat(
    entry: DatasetEntry, base: str, served: Served | None = None, spatial: list[Any] | None = None
) -> dict[str, Any]:
    served = served or Served()
    # the public summary (French) first, then the technical notes (tagged by their language);
    # a synthetic source is labelled by ``label_synthetic`` below
    descriptions = [d.strip() for d in (entry.summary, entry.description) if d.strip()] or [entry.title]
    node = _common(
        base,
        entry.identifier,
        entry.title,
        descriptions,
        entry.access.value,
        served,
        [{"@id": entry.spatial, "@type": "dct:Location"}] if entry.spatial else (spatial or []),
    )
    node["dct:publisher"] = {
        "@id": entry.publisher.uri or f"{base}/publishers/{quote(entry.publisher.name)}",
        "@type": "foaf:Agent",
        "foaf:name": entry.publisher.name,
    }
    node["dct:accrualPeriodicity"] = _ref(FREQ_URI + FREQ_CODES[entry.frequency], "dct:Frequency")
    node["dcat:keyword"] = [literal(k) for k in entry.keywords]
    node["dcat:theme"] = themes(entry.themes)
    if entry.landing_page:
        node["dcat:landingPage"].append(_ref(entry.landing_page, "foaf:Document"))
    if entry.temporal.start or entry.temporal.end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if entry.temporal.start:
            period["dcat:startDate"] = _date(entry.temporal.start)
        if entry.temporal.end:
            period["dcat:endDate"] = _date(entry.temporal.end)
        node["dct:temporal"] = period
    licence = licence_ref(entry.licence, entry.licence_url)
    distributions = []
    upstream = (entry.source.upstream or {}).get("url")
    if upstream:
        fmt = str(entry.source.options.get("format", ""))
        distributions.append(
            {
                "@id": f"{base}/datasets/{entry.identifier}/distribution",
                "@type": "dcat:Distribution",
                "dct:title": literal(f"{entry.title} (source)"),
                "dct:description": literal(f"Le fichier tel que le publie {entry.publisher.name}."),
                "dcat:accessURL": _ref(upstream, "rdfs:Resource"),
                "dct:license": licence,
                "dct:format": _ref(FILE_TYPE_URI + FILE_TYPES.get(fmt, "BIN"), "dct:MediaTypeOrExtent"),
            }
        )
    if served.published:
        distributions += api_distributions(
            base, entry.identifier, licence, mappable=served.mappable, modified=_datetime(served.modified)
        )
    if entry.role == "boundaries":
        distributions.append(
            {
                "@id": f"{base}/datasets/{entry.identifier}/distribution/geojson",
                "@type": "dcat:Distribution",
                "dct:title": literal("Contours des communes du territoire (GeoJSON, WGS84)"),
                "dct:description": literal("Les contours des communes servis par l'API, en GeoJSON (WGS84)."),
                "dcatap:availability": AVAILABLE,
                "dcat:accessURL": _ref(f"{base}/api/geo/communes", "rdfs:Resource"),
                "dcat:downloadURL": _ref(f"{base}/api/geo/communes", "rdfs:Resource"),
                "dcat:mediaType": _ref(IANA_MEDIA + "application/geo+json", "dct:MediaType"),
                "dct:format": _ref(FILE_TYPE_URI + "GEOJSON", "dct:MediaTypeOrExtent"),
                "dct:license": licence,
            }
        )
    if distributions:
        node["dcat:distribution"] = distributions
    if entry.synthetic:
        label_synthetic(node)
    return node


def label_synthetic(node: dict[str, Any]) -> None:
    """Say in the DCAT node that its data is invented: status, description and a keyword."""
    node["adms:status"] = {"@id": "http://purl.org/adms/status/UnderDevelopment"}
    descriptions = node.get("dct:description") or [literal(node["dct:title"]["@value"])]
    if isinstance(descriptions, dict):
        descriptions = [descriptions]
    node["dct:description"] = [
        literal(d["@value"].rstrip() + " (données synthétiques de démonstration)") for d in descriptions
    ]
    keywords = node.get("dcat:keyword") or []
    node["dcat:keyword"] = [*keywords, literal(SYNTHETIC_LABEL.lower())]


def derived_to_dcat(
    name: str,
    title: str,
    description: str,
    inputs: list[str],
    access: str,
    base: str,
    served: Served | None = None,
    licence: str = ETALAB_2_0,
    spatial: list[Any] | None = None,
    theme_codes: list[str] | None = None,
) -> dict[str, Any]:
    served = served or Served()
    node = _common(base, name, title, [description or title], access, served, spatial or [])
    node["dct:publisher"] = {"@id": f"{base}/publisher", "@type": "foaf:Agent"}
    node["dcat:theme"] = themes(theme_codes or [])
    node["prov:wasDerivedFrom"] = [{"@id": f"{base}/datasets/{i}"} for i in inputs]
    if served.published:
        node["dcat:distribution"] = api_distributions(
            base,
            name,
            _ref(licence, "dct:LicenseDocument"),
            mappable=served.mappable,
            modified=_datetime(served.modified),
        )
    return node


def catalog_document(
    title: str,
    base: str,
    datasets: list[dict[str, Any]],
    publisher: str,
    modified: str | None = None,
    spatial: list[Any] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": literal(title),
        "dct:description": literal(f"Catalogue des données territoriales — {title}"),
        "dct:publisher": {"@id": f"{base}/publisher", "@type": "foaf:Agent", "foaf:name": publisher},
        "dct:language": language_ref(),
        "dct:license": _ref(ETALAB_2_0, "dct:LicenseDocument"),
        "foaf:homepage": _ref(f"{base}/api", "foaf:Document"),
        "dcat:themeTaxonomy": {
            "@id": THEME_URI,
            "@type": "skos:ConceptScheme",
            "dct:title": {"@value": "Data theme", "@language": "en"},
        },
        "dcat:dataset": datasets,
    }
    if spatial:
        doc["dct:spatial"] = spatial
    if modified:
        doc["dct:modified"] = _datetime(modified)
    return doc


def _all_sources(plan: Plan, entries: dict[str, DatasetEntry]) -> dict[str, set[str]]:
    """Every dataset's source entries (identifiers), through the models in between: one pass in
    run order, where a walk up from each dataset is quadratic in the depth of the graph."""
    found: dict[str, set[str]] = {}
    for step_id in plan.order:
        step = plan.steps[step_id]
        for out in step.outputs:
            found[out] = {out} if out in entries else set().union(*(found.get(i, set()) for i in step.inputs))
    return found


def _derived_node(
    plan: Plan,
    entries: dict[str, DatasetEntry],
    upstream: dict[str, set[str]],
    base: str,
    spatial: list[Any],
    key: str,
    info: DatasetInfo,
    served: Served,
) -> dict[str, Any]:
    """The node of a dataset computed by the plan; ``upstream``, every dataset's sources, is
    filled at the first call of a feed."""
    if not upstream:
        upstream.update(_all_sources(plan, entries))
    step = plan.steps[plan.producers[key]]
    description = step.indicator.description if isinstance(step, IndicatorStep) else ""
    sources = [entries[k] for k in sorted(upstream.get(key, ()))]
    node = derived_to_dcat(
        key,
        info.title,
        description,
        list(step.inputs),
        info.access.value,
        base,
        served,
        derived_licence(licence_uri(e.licence, e.licence_url) for e in sources),
        spatial,
        [t for e in sources for t in e.themes],
    )
    if synthetic(plan, key):  # computed from a synthetic source: labelled too
        label_synthetic(node)
    return node


def dcat_catalog(
    ws: Workspace, plan: Plan, base: str = "urn:territoria", datasets: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The workspace's DCAT-AP catalog. ``datasets`` (the publication's catalog entries) says what
    the API serves: published datasets get one distribution per export format, and ``dct:modified``."""
    base = base.rstrip("/") + f"/{ws.config.slug}" if base.startswith("urn:") else base.rstrip("/")
    docs = {d["id"]: d for d in datasets or []}
    spatial = places(ws.config.epci, ws.config.communes)
    entries = ws.entries()
    # a node depends on the plan's files, the base and what is served: kept per plan fingerprint
    cache = NodeCache(plan.fingerprint, base)
    nodes = [
        cache.node(
            "entry", e.identifier, Served.of(docs.get(e.identifier)), partial(entry_to_dcat, e, base, spatial=spatial)
        )
        for e in entries.values()
    ]
    upstream: dict[str, set[str]] = {}  # filled at the first derived node not kept
    for key, info in plan.datasets.items():
        if info.layer not in ("staging", "published"):
            build = partial(_derived_node, plan, entries, upstream, base, spatial, key, info)
            nodes.append(cache.node("derived", key, Served.of(docs.get(key)), build))
    modified = max((str(d["updated_at"]) for d in docs.values() if d.get("updated_at")), default=None)
    return catalog_document(ws.config.name, base, nodes, ws.config.name, modified, spatial)


def with_access_rights(doc: dict[str, Any], levels: Mapping[str, str]) -> dict[str, Any]:
    """``doc`` (a catalog document of one's own, changed in place) with each dataset's access
    rights set to ``levels[identifier]`` (open, restricted, personal): the effective levels, which
    lineage and policies give and the catalog entries alone do not.

    Each node changed is replaced by a changed copy (its key in the same place): the nodes of a
    feed ``dcat_catalog`` gave are kept for the next feeds (``dcat_nodes``), never modified."""
    nodes = doc.get("dcat:dataset", [])
    for i, node in enumerate(nodes):
        level = levels.get(str(node.get("dct:identifier")))
        if level is not None:
            nodes[i] = {**node, "dct:accessRights": _ref(ACCESS_URI + ACCESS_CODES[level], "dct:RightsStatement")}
    return doc


def rebase(doc: Any, old: str, new: str) -> Any:
    """``doc`` with every IRI (``@id``, typed IRI value) under ``old`` moved under ``new``.

    Only identifiers move: a title or description that happens to contain ``old`` is text."""
    if isinstance(doc, list):
        return [rebase(item, old, new) for item in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "@id" and isinstance(value, str) and (value == old or value.startswith(old + "/")):
            out[key] = new + value[len(old) :]
        elif key == "@context":
            out[key] = value
        else:
            out[key] = rebase(value, old, new)
    return out


def feed(doc: dict[str, Any], base: str) -> dict[str, Any]:
    """The stored feed (``urn:`` IRIs) with its IRIs under ``base``, the API's address."""
    urn_base = str(doc["@id"]).removesuffix("/catalog")
    moved: dict[str, Any] = rebase(doc, urn_base, base.rstrip("/"))
    return moved


def turtle(doc: dict[str, Any]) -> str:
    return to_turtle(doc)


__all__ = [
    "catalog_document",
    "dcat_catalog",
    "derived_to_dcat",
    "entry_to_dcat",
    "feed",
    "rebase",
    "turtle",
    "with_access_rights",
]
