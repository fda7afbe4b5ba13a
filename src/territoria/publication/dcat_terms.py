"""The controlled terms of the DCAT-AP feed: licences, languages, places and the API's distributions.

Kept apart from ``dcat.py`` (which shapes datasets and the catalog) so that each vocabulary is one
table that a reader can check against its authority:

- licences: the licensor's own canonical URI (Etalab for the Licence Ouverte 2.0, Open Data Commons
  for the ODbL), typed ``dct:LicenseDocument`` as DCAT-AP 3 requires;
- languages: a literal is tagged with the language it is written in, read from its function words
  (the catalogue mixes French titles with descriptions written in English by pack authors);
- places: the territory's EPCI and communes as INSEE geography URIs (``dct:Location``);
- distributions: one per export format the API serves for a published dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from territoria.publication.formats import formats

ETALAB_2_0 = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ODBL_1_0 = "http://opendatacommons.org/licenses/odbl/1-0/"
#: how sources name their licence (lower case, spaces collapsed) -> the licence's canonical URI
LICENCE_NAMES = {
    "licence ouverte / open licence": ETALAB_2_0,
    "licence ouverte": ETALAB_2_0,
    "licence ouverte 2.0": ETALAB_2_0,
    "licence ouverte / open licence 2.0": ETALAB_2_0,
    "open licence 2.0": ETALAB_2_0,
    "etalab-2.0": ETALAB_2_0,
    "odbl": ODBL_1_0,
    "odbl-1.0": ODBL_1_0,
    "open database license": ODBL_1_0,
    "open database license (odbl)": ODBL_1_0,
}
#: URL shapes of the same licences, as sources sometimes give them (``licence_url``)
LICENCE_URLS = (
    (re.compile(r"etalab\.gouv\.fr/licence-ouverte|github\.com/etalab/licence-ouverte"), ETALAB_2_0),
    (re.compile(r"opendatacommons\.org/licenses/odbl"), ODBL_1_0),
)
#: a derived dataset carries the share-alike obligation of any ODbL input; otherwise the
#: platform publishes it under the Licence Ouverte, the French public sector's default
SHARE_ALIKE = {ODBL_1_0}

LANGUAGE_URI = "http://publications.europa.eu/resource/authority/language/"
LANGUAGES = {"fr": "FRA", "en": "ENG"}
_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœ]+(?:'|’)?", re.IGNORECASE)
_FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "l'",
        "l’",
        "des",
        "du",
        "de",
        "d'",
        "d’",
        "et",
        "est",
        "sont",
        "par",
        "pour",
        "avec",
        "dans",
        "sur",
        "au",
        "aux",
        "une",
        "un",
        "ou",
        "ce",
        "cette",
        "ces",
        "qui",
        "que",
        "en",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
        "à",
        "où",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "is",
        "are",
        "by",
        "for",
        "with",
        "from",
        "to",
        "in",
        "on",
        "per",
        "each",
        "every",
        "as",
        "at",
        "its",
        "or",
        "when",
        "which",
        "this",
        "that",
        "these",
        "those",
        "an",
        "a",
        "be",
    ]
)

INSEE_GEO = "http://id.insee.fr/geo/"
#: the API serves a distribution as long as the dataset is published
AVAILABLE = {
    "@id": "http://publications.europa.eu/resource/authority/planned-availability/AVAILABLE",
    "@type": "skos:Concept",
    "skos:prefLabel": {"@value": "disponible", "@language": "fr"},
}
THEME_URI = "http://publications.europa.eu/resource/authority/data-theme"
#: the EU data-theme codes with their French labels (the vocabulary's own ``prefLabel@fr``)
THEMES = {
    "AGRI": "Agriculture, pêche, sylviculture et alimentation",
    "ECON": "Économie et finances",
    "EDUC": "Éducation, culture et sport",
    "ENER": "Énergie",
    "ENVI": "Environnement",
    "GOVE": "Gouvernement et secteur public",
    "HEAL": "Santé",
    "INTR": "Questions internationales",
    "JUST": "Justice, système juridique et sécurité publique",
    "OP_DATPRO": "Données provisoires",
    "REGI": "Régions et villes",
    "SOCI": "Population et société",
    "TECH": "Science et technologie",
    "TRAN": "Transports",
}
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE_URI = "http://publications.europa.eu/resource/authority/file-type/"
#: export format name -> EU file-type code
FORMAT_FILE_TYPES = {
    "csv": "CSV",
    "csv-std": "CSV",
    "geojson": "GEOJSON",
    "parquet": "PARQUET",
    "xlsx": "XLSX",
    "jsonld": "JSON_LD",
    "turtle": "RDF_TURTLE",
}


def licence_uri(name: str, url: str | None) -> str | None:
    """The canonical URI of a source's licence, or its own ``licence_url``, or None if neither is known."""
    known = LICENCE_NAMES.get(" ".join(name.lower().split()))
    if known:
        return known
    for pattern, uri in LICENCE_URLS:
        if url and pattern.search(url):
            return uri
    return url


def licence_ref(name: str, url: str | None) -> dict[str, Any]:
    """``dct:license`` object: the licence document by URI, or (unknown URI) a described blank node."""
    uri = licence_uri(name, url)
    if uri:
        return {"@id": uri, "@type": "dct:LicenseDocument"}
    return {"@type": "dct:LicenseDocument", "rdfs:label": name}


def derived_licence(input_licences: Iterable[str | None]) -> str:
    """The licence a derived dataset is published under, from the URIs of the sources it reads."""
    found = {u for u in input_licences if u in SHARE_ALIKE}
    return sorted(found)[0] if found else ETALAB_2_0


@lru_cache(maxsize=4096)  # the same titles and summaries at every publication: each dataset's, every run
def language_of(text: str) -> str:
    """``en`` when the text's function words are clearly English, else ``fr`` (the platform's language)."""
    words = [w.lower() for w in _WORD.findall(text.replace("’", "'"))]
    french = sum(1 for w in words if w in _FRENCH or w.endswith("'"))
    english = sum(1 for w in words if w in _ENGLISH)
    return "en" if english > french else "fr"


def literal(text: str) -> dict[str, str]:
    return {"@value": text, "@language": language_of(text)}


def language_ref(code: str = "fr") -> dict[str, str]:
    return {"@id": LANGUAGE_URI + LANGUAGES[code], "@type": "dct:LinguisticSystem"}


def places(epci: str | None, communes: Iterable[str]) -> list[dict[str, str]]:
    """The territory as ``dct:Location`` URIs: its EPCI when it is one, else each of its communes."""
    if epci:
        return [{"@id": f"{INSEE_GEO}intercommunalite/{epci}", "@type": "dct:Location"}]
    return [{"@id": f"{INSEE_GEO}commune/{code}", "@type": "dct:Location"} for code in sorted(communes)]


def themes(codes: Iterable[str]) -> list[dict[str, Any]]:
    """``dcat:theme`` of the EU data-theme vocabulary (sources declare its codes: ``ENVI``, ``SOCI``...)."""
    return [
        {
            "@id": f"{THEME_URI}/{code}",
            "@type": "skos:Concept",
            "skos:prefLabel": {"@value": THEMES[code], "@language": "fr"},
        }
        for code in sorted(set(codes))
        if code in THEMES
    ]


def _media_type(media: str) -> dict[str, str]:
    return {"@id": IANA_MEDIA + media.split(";")[0].strip(), "@type": "dct:MediaType"}


def api_distributions(
    base: str, identifier: str, licence: dict[str, Any], *, mappable: bool, modified: dict[str, str] | None
) -> list[dict[str, Any]]:
    """One distribution per export format of ``GET /api/datasets/{id}/export`` (map formats only
    for ``mappable`` datasets: a geometry, or a commune ``code`` the export joins to boundaries)."""
    page = f"{base}/api/datasets/{quote(identifier)}"
    found = []
    for name, fmt in formats().items():
        if fmt.needs_geometry and not mappable:
            continue
        node: dict[str, Any] = {
            "@id": f"{base}/datasets/{quote(identifier)}/distribution/{quote(name)}",
            "@type": "dcat:Distribution",
            "dct:title": literal(f"{identifier} ({name})"),
            "dct:description": literal(fmt.description),
            "dcatap:availability": AVAILABLE,
            "dcat:accessURL": {"@id": page, "@type": "rdfs:Resource"},
            "dcat:downloadURL": {"@id": f"{page}/export?format={quote(name)}", "@type": "rdfs:Resource"},
            "dcat:mediaType": _media_type(fmt.media_type),
            "dct:license": licence,
        }
        if name in FORMAT_FILE_TYPES:
            node["dct:format"] = {"@id": FILE_TYPE_URI + FORMAT_FILE_TYPES[name], "@type": "dct:MediaTypeOrExtent"}
        if modified:
            node["dct:modified"] = modified
        found.append(node)
    return found


__all__ = [
    "ETALAB_2_0",
    "ODBL_1_0",
    "api_distributions",
    "derived_licence",
    "language_of",
    "language_ref",
    "licence_ref",
    "licence_uri",
    "literal",
    "places",
    "themes",
]
