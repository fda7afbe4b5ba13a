"""DCAT-AP 3 JSON-LD export of a workspace's catalog.

Each source entry becomes a ``dcat:Dataset`` with its distribution (the upstream or local
source); derived datasets and indicators are datasets whose ``prov:wasDerivedFrom`` names
their inputs, so a harvester sees the lineage too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from territoria.catalog.model import FREQUENCIES, DatasetEntry

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
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
assert set(FREQ_CODES) == set(FREQUENCIES)


def _literal(text: str, lang: str = "fr") -> dict[str, str]:
    return {"@value": text, "@language": lang}


def _date(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def entry_to_dcat(entry: DatasetEntry, base: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{base}/datasets/{entry.identifier}",
        "@type": "dcat:Dataset",
        "dct:identifier": entry.identifier,
        "dct:title": _literal(entry.title),
        "dct:description": _literal(entry.description or entry.title),
        "dct:publisher": {
            "@id": entry.publisher.uri or f"{base}/publishers/{entry.publisher.name}",
            "@type": "foaf:Agent",
            "foaf:name": entry.publisher.name,
        },
        "dct:accrualPeriodicity": {"@id": FREQ_URI + FREQ_CODES[entry.frequency]},
        "dct:accessRights": {"@id": ACCESS_URI + ACCESS_CODES[entry.access.value]},
        "dcat:keyword": [_literal(k) for k in entry.keywords],
    }
    if entry.landing_page:
        node["dcat:landingPage"] = {"@id": entry.landing_page}
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
    node["dcat:distribution"] = [
        {
            "@id": f"{base}/datasets/{entry.identifier}/distribution",
            "@type": "dcat:Distribution",
            "dcat:accessURL": {"@id": access_url},
            "dct:license": {"@id": entry.licence_url or entry.licence},
            "dct:format": str(entry.source.options.get("format", entry.source.kind)),
        }
    ]
    if entry.synthetic:
        node["adms:status"] = {"@id": "http://purl.org/adms/status/UnderDevelopment"}
        node["dct:description"] = _literal(
            (entry.description or entry.title) + " (données synthétiques de démonstration)"
        )
    return node


def derived_to_dcat(
    name: str, title: str, description: str, inputs: list[str], access: str, base: str
) -> dict[str, Any]:
    return {
        "@id": f"{base}/datasets/{name}",
        "@type": "dcat:Dataset",
        "dct:identifier": name,
        "dct:title": _literal(title),
        "dct:description": _literal(description or title),
        "dct:accessRights": {"@id": ACCESS_URI + ACCESS_CODES[access]},
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
