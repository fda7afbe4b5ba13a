"""The shipped referential: counts, lookups, suggestions, boundaries."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from territoria.core.errors import NotFoundError
from territoria.reference import referential


def test_counts_and_vintages() -> None:
    ref = referential()
    assert len(ref.communes) == ref.vintages["communes"]["counts"]["communes"] > 34_000
    assert len(ref.epcis) == 1255
    boundaries = ref.vintages["boundaries"]["counts"]
    assert boundaries["with_boundary"] + boundaries["missing"] == len(ref.communes)
    # About a hundred current communes have no 2018 boundary; they are listed, never dropped.
    assert 50 < boundaries["missing"] < 150
    assert len(ref.without_boundary) == boundaries["missing"]


def test_every_epci_member_is_a_current_commune() -> None:
    ref = referential()
    for epci in ref.epcis.values():
        for code in epci.membres:
            assert code in ref.communes, (epci.siren, code)
            assert ref.communes[code].epci == epci.siren


def test_rennes_metropole() -> None:
    ref = referential()
    rm = ref.epci("243500139")
    assert rm.nom == "Rennes Métropole"
    assert len(rm.membres) == 43
    assert ref.commune("35238").nom == "Rennes"


def test_unknown_epci_suggests_close_matches() -> None:
    with pytest.raises(NotFoundError) as err:
        referential().epci("24350013")
    assert err.value.hint is not None and "243500139" in err.value.hint


@pytest.mark.parametrize(("code", "commune"), [("69381", "69123"), ("75115", "75056"), ("13201", "13055")])
def test_an_arrondissement_names_its_commune(code: str, commune: str) -> None:
    """Arrondissement codes are not communes: the hint says which commune to use, not look-alike
    codes of other départements (69381 gave 76381 Landes-Vieilles-et-Neuves)."""
    with pytest.raises(NotFoundError) as err:
        referential().commune(code)
    assert err.value.hint is not None and f"use the commune's code, {commune}" in err.value.hint


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("62743", "62743 is a former commune, now part of 62447 (Hesdin-la-Forêt): use its code"),
        ("49069", "49069 is a former commune, now part of 49126 (Orée d'Anjou): use its code"),
        ("55273", "now part of 55245 (Heudicourt-sous-les-Côtes) and 55386 (Nonsard-Lamarche): use one of their codes"),
    ],
)
def test_a_former_commune_names_the_commune_nouvelle(code: str, says: str) -> None:
    """A commune merged since into a commune nouvelle (a code from an older list): the hint names the
    commune it is part of, not look-alike codes (62743 gave 86274 Les Trois-Moutiers)."""
    with pytest.raises(NotFoundError) as err:
        referential().commune(code)
    assert err.value.hint is not None and says in err.value.hint, err.value.hint


def test_a_well_formed_unknown_code_may_be_newer_than_the_referential() -> None:
    """A commune or EPCI created after the shipped referential is not in it: the hint says so, and
    how to make the territory anyway, besides the look-alike codes."""
    ref = referential()
    newer = "created after the referential (2025) is not in it: name the communes it"
    for lookup, code in ((ref.commune, "35999"), (ref.epci, "200099999")):
        with pytest.raises(NotFoundError) as err:
            lookup(code)
        assert err.value.hint is not None and newer in err.value.hint and "did you mean" in err.value.hint
    for lookup, code in ((ref.commune, "3523"), (ref.commune, "75101"), (ref.commune, "62743"), (ref.epci, "2000")):
        with pytest.raises(NotFoundError) as err:
            lookup(code)
        assert newer not in (err.value.hint or ""), code


def test_unknown_commune_suggests_close_matches() -> None:
    with pytest.raises(NotFoundError) as err:
        referential().commune("3523")
    assert "unknown commune code" in err.value.message


def test_merged_communes_are_rebuilt_from_their_former_communes() -> None:
    ref = referential()
    table = pq.read_table(ref.boundaries_path, columns=["code", "method", "source_codes"]).to_pylist()
    rebuilt = [r for r in table if r["method"] == "union-2018-pieces"]
    assert rebuilt, "communes merged after 2018 must be rebuilt from their 2018 pieces"
    assert all(len(r["source_codes"]) >= 1 for r in rebuilt)
    codes = {r["code"] for r in table}
    assert not codes & set(ref.without_boundary)


def test_search_ignores_accents() -> None:
    hits = referential().search("metropole", limit=50)
    assert ("epci", "243500139", "Rennes Métropole") in hits


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Ile d'Yeu", ("commune", "85113", "L'Île-d'Yeu")),
        ("saint malo", ("commune", "35288", "Saint-Malo")),
        ("Belle-Ile", ("epci", "245600465", "CC de Belle Ile en Mer")),
    ],
)
def test_search_ignores_hyphens_and_apostrophes(typed: str, found: tuple[str, str, str]) -> None:
    """An outsider types an island's or a saint's name with spaces where the referential has
    hyphens (or the other way round): before, "Ile d'Yeu" and "saint malo" found no commune."""
    assert found in referential().search(typed, limit=50)


@pytest.mark.parametrize("typed", ["35238;35047", "35238 35047", "35238|35047"])
def test_codes_joined_by_another_separator_are_told_to_use_commas(typed: str) -> None:
    """`--communes 35238;35047` is two good codes badly separated: the hint says so (it offered
    look-alike codes of other départements, 85047 Challans)."""
    with pytest.raises(NotFoundError) as err:
        referential().commune(typed)
    assert err.value.hint == "separate the codes with commas: 35238,35047"
