"""DCAT-AP 3 catalog of a workspace, as JSON-LD and Turtle, for national catalogues to harvest.

Each source entry becomes a ``dcat:Dataset`` with its distribution (the upstream or local
source); derived datasets and indicators are datasets whose ``prov:wasDerivedFrom`` names
their inputs, so a harvester sees the lineage too. The feed is built at publication time with
``urn:`` IRIs (``dcat_catalog``); the API moves it to its own address with ``rebase``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from territoria.catalog.model import FREQUENCIES, DatasetEntry
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import IndicatorStep
from territoria.publication.provenance import SYNTHETIC_LABEL, provenance
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
FILE_TYPE_URI = "http://publications.europa.eu/resource/authority/file-type/"
FILE_TYPES = {"csv": "CSV", "parquet": "PARQUET", "json": "JSON", "geojson": "GEOJSON", "xlsx": "XLSX", "zip": "ZIP"}
assert set(FREQ_CODES) == set(FREQUENCIES)


def _literal(text: str, lang: str = "fr") -> dict[str, str]:
    return {"@value": text, "@language": lang}


def _date(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _ref(uri: str, rdf_type: str) -> dict[str, str]:
    """A typed reference: DCAT-AP's SHACL shapes check the class of each linked resource."""
    return {"@id": uri, "@type": rdf_type}


def entry_to_dcat(entry: DatasetEntry, base: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{base}/datasets/{entry.identifier}",
        "@type": "dcat:Dataset",
        "dct:identifier": entry.identifier,
        "dct:title": _literal(entry.title),
        "dct:description": _literal(entry.description or entry.title),
        "dct:publisher": {
            "@id": entry.publisher.uri or f"{base}/publishers/{quote(entry.publisher.name)}",
            "@type": "foaf:Agent",
            "foaf:name": entry.publisher.name,
        },
        "dct:accrualPeriodicity": _ref(FREQ_URI + FREQ_CODES[entry.frequency], "dct:Frequency"),
        "dct:accessRights": _ref(ACCESS_URI + ACCESS_CODES[entry.access.value], "dct:RightsStatement"),
        "dcat:keyword": [_literal(k) for k in entry.keywords],
    }
    if entry.landing_page:
        node["dcat:landingPage"] = _ref(entry.landing_page, "foaf:Document")
    if entry.temporal.start or entry.temporal.end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if entry.temporal.start:
            period["dcat:startDate"] = _date(entry.temporal.start)
        if entry.temporal.end:
            period["dcat:endDate"] = _date(entry.temporal.end)
        node["dct:temporal"] = period
    if entry.spatial:
        node["dct:spatial"] = {"@id": entry.spatial}
    access_url = (entry.source.upstream or {}).get("url") or f"{base}/api/datasets/{entry.identifier}"
    fmt = str(entry.source.options.get("format", "parquet" if entry.source.kind == "referential" else ""))
    node["dcat:distribution"] = [
        {
            "@id": f"{base}/datasets/{entry.identifier}/distribution",
            "@type": "dcat:Distribution",
            "dcat:accessURL": _ref(access_url, "rdfs:Resource"),
            "dct:license": _ref(entry.licence_url or f"{base}/licences/{quote(entry.licence)}", "dct:LicenseDocument"),
            "dct:format": _ref(FILE_TYPE_URI + FILE_TYPES.get(fmt, "BIN"), "dct:MediaTypeOrExtent"),
        }
    ]
    if entry.synthetic:
        label_synthetic(node, entry.description or entry.title)
    return node


def label_synthetic(node: dict[str, Any], description: str) -> None:
    """Say in the DCAT node that its data is invented: status, description and a keyword."""
    node["adms:status"] = {"@id": "http://purl.org/adms/status/UnderDevelopment"}
    node["dct:description"] = _literal(description + " (données synthétiques de démonstration)")
    keywords = node.get("dcat:keyword") or []
    node["dcat:keyword"] = [*keywords, _literal(SYNTHETIC_LABEL.lower())]


def derived_to_dcat(
    name: str, title: str, description: str, inputs: list[str], access: str, base: str
) -> dict[str, Any]:
    return {
        "@id": f"{base}/datasets/{name}",
        "@type": "dcat:Dataset",
        "dct:identifier": name,
        "dct:title": _literal(title),
        "dct:description": _literal(description or title),
        "dct:accessRights": _ref(ACCESS_URI + ACCESS_CODES[access], "dct:RightsStatement"),
        "prov:wasDerivedFrom": [{"@id": f"{base}/datasets/{i}"} for i in inputs],
    }


def catalog_document(title: str, base: str, datasets: list[dict[str, Any]], publisher: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _literal(title),
        "dct:description": _literal(f"Catalogue des données territoriales — {title}"),
        "dct:publisher": {"@id": f"{base}/publisher", "@type": "foaf:Agent", "foaf:name": publisher},
        "dcat:dataset": datasets,
    }


def dcat_catalog(ws: Workspace, plan: Plan, base: str = "urn:territoria") -> dict[str, Any]:
    base = base.rstrip("/") + f"/{ws.config.slug}" if base.startswith("urn:") else base.rstrip("/")
    entries = ws.entries()
    datasets = [entry_to_dcat(e, base) for e in entries.values()]
    for key, info in plan.datasets.items():
        if info.layer in ("staging", "published"):
            continue
        step = plan.steps[plan.producers[key]]
        description = step.indicator.description if isinstance(step, IndicatorStep) else ""
        node = derived_to_dcat(key, info.title, description, list(step.inputs), info.access.value, base)
        if provenance(plan, key)["synthetic"]:  # computed from a synthetic source: labelled too
            label_synthetic(node, description or info.title)
        datasets.append(node)
    return catalog_document(ws.config.name, base, datasets, ws.config.name)


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


__all__ = ["catalog_document", "dcat_catalog", "derived_to_dcat", "entry_to_dcat", "feed", "rebase", "turtle"]
