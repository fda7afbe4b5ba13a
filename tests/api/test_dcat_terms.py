"""The DCAT feed's controlled terms: licence URIs, the licence of derived data, language tags."""

from __future__ import annotations

import pytest

from territoria.publication.dcat_terms import (
    ETALAB_2_0,
    ODBL_1_0,
    derived_licence,
    language_of,
    licence_ref,
    licence_uri,
    places,
)


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("Licence Ouverte / Open Licence", None, ETALAB_2_0),
        ("licence  ouverte", None, ETALAB_2_0),
        ("Licence Ouverte / Open Licence", "https://www.etalab.gouv.fr/licence-ouverte-open-licence", ETALAB_2_0),
        ("LO", "https://github.com/etalab/licence-ouverte/blob/master/LO.md", ETALAB_2_0),
        ("ODbL", None, ODBL_1_0),
        ("Open Database License (ODbL)", None, ODBL_1_0),
        ("base", "https://opendatacommons.org/licenses/odbl/1-0/", ODBL_1_0),
        ("MIT", "https://github.com/etalab/decoupage-administratif/blob/master/LICENSE", None),
        ("Licence maison", None, None),
    ],
)
def test_licence_uris(name: str, url: str | None, expected: str | None) -> None:
    assert licence_uri(name, url) == (expected or url)


def test_unknown_licence_is_described_not_invented() -> None:
    ref = licence_ref("Licence maison", None)
    assert "@id" not in ref and ref["rdfs:label"] == "Licence maison" and ref["@type"] == "dct:LicenseDocument"


def test_derived_data_keeps_share_alike() -> None:
    assert derived_licence([ETALAB_2_0, ODBL_1_0, None]) == ODBL_1_0
    assert derived_licence([ETALAB_2_0, "https://example.org/mit"]) == ETALAB_2_0
    assert derived_licence([]) == ETALAB_2_0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Habitants par km² ; pour le territoire, population des communes dont le contour est connu", "fr"),
        ("Municipal population by commune, as a CSV in INSEE's convention (semicolon, UTF-8 with BOM)", "en"),
        ("Population municipale", "fr"),
        ("Consommation d'électricité et de gaz par commune", "fr"),
        ("Datastreams of the device registry: thing, measured quantity, unit and position", "en"),
    ],
)
def test_language_of(text: str, lang: str) -> None:
    assert language_of(text) == lang


def test_places_are_insee_uris() -> None:
    assert places("243500139", ["35238"]) == [
        {"@id": "http://id.insee.fr/geo/intercommunalite/243500139", "@type": "dct:Location"}
    ]
    assert [p["@id"] for p in places(None, ["35238", "35047"])] == [
        "http://id.insee.fr/geo/commune/35047",
        "http://id.insee.fr/geo/commune/35238",
    ]
