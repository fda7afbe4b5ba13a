"""`territoria init --region`: every commune of a region as the territory (no EPCI: mesh
`territoire`, named after the region), combinable with the other options; a code that names no
region is a message with a hint (a region before 2016, a département, an overseas collectivity,
Corsica as 20, a name for its code), exit code 2, and no workspace written; the portals are asked
for the region's rows by region."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.reference.referential import referential
from territoria.workspace import Workspace

from .conftest import Territoria, assert_refused


@pytest.mark.parametrize(
    ("typed", "name", "departements"),
    [
        ("53", "Bretagne", ["22", "29", "35", "56"]),
        ("94", "Corse", ["2A", "2B"]),
        ("4", "La Réunion", ["974"]),
        ("01,02", "Guadeloupe et Martinique", ["971", "972"]),
    ],
)
def test_a_region_is_every_commune_of_it(
    tmp_path: Path, territoria: Territoria, typed: str, name: str, departements: list[str]
) -> None:
    root = tmp_path / "ws"
    out = territoria("init", str(root), "--region", typed)
    config = Workspace(root).config if out.code == 0 else None
    assert config is not None, out.text
    communes = referential().communes
    # a region's communes are those of its départements: all of them, none else
    assert {communes[c].departement for c in config.communes} == set(departements)
    assert len(config.communes) == sum(c.departement in departements for c in communes.values()) > 10
    assert (config.name, config.epci, config.mesh, f"workspace {name} created" in out.text) == (
        name,
        None,
        "territoire",
        True,
    )


def test_the_regions_are_the_eighteen_of_2016() -> None:
    regions = referential().regions
    assert len(regions) == 18 and regions["53"].departements == ("22", "29", "35", "56")
    assert regions["84"].nom == "Auvergne-Rhône-Alpes" and "2A" not in regions["93"].departements
    # every commune is in one region, but those of the overseas collectivities (975, 977, 978, 98x)
    outside = [c for c in referential().communes.values() if c.departement in ("975", "977", "978", "984", "986")]
    outside += [c for c in referential().communes.values() if c.departement in ("987", "988", "989")]
    assert sum(len(r.communes) for r in regions.values()) + len(outside) == len(referential().communes)


@pytest.mark.parametrize(
    ("options", "name", "count"),
    [
        # a département inside the region adds nothing, not even to the name
        (["--region", "53", "--departement", "35"], "Bretagne", 1202),
        (["--region", "94", "--departement", "06"], "Corse et Alpes-Maritimes", 360 + 163),
        (["--region", "94", "--communes", "06088"], "Territoire de 361 communes", 361),
        (["--region", "06", "--epci", "249740119"], "CA Intercommunale du Nord de la Réunion (CINOR)", 17 + 3),
    ],
)
def test_a_region_with_the_other_options(
    tmp_path: Path, territoria: Territoria, options: list[str], name: str, count: int
) -> None:
    out = territoria("init", str(tmp_path / "ws"), *options)
    assert out.code == 0, out.text
    config = Workspace(tmp_path / "ws").config
    assert (config.name, len(config.communes)) == (name, count)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("35", "35 is the département Ille-et-Vilaine (--departement 35), in region 53 (Bretagne): --region 53"),
        (
            "25",
            "25 was Basse-Normandie until 2016, now part of 28 (Normandie): --region 28; "
            "25 is the département Doubs (--departement 25), in region 27 (Bourgogne-Franche-Comté): --region 27",
        ),
        ("974", "974 is the département La Réunion (--departement 974), in region 04 (La Réunion): --region 04"),
        ("975", "975 is Saint-Pierre-et-Miquelon, an overseas collectivity"),
        ("20", "Corsica is region 94 (Corse), départements 2A and 2B: --region 94"),
        ("Bretagne", "did you mean 53 (Bretagne)?"),
        ("auvergne", "did you mean 84 (Auvergne-Rhône-Alpes)?"),
        ("Midi-Pyrénées", "Midi-Pyrénées is part of 76 (Occitanie) since 2016: --region 76"),
        ("Finistère", "Finistère is a département: --departement 29"),
        ("99", "a region is named by its INSEE code: 01 Guadeloupe, 02 Martinique,"),
    ],
)
def test_an_unknown_region_says_what_to_type(tmp_path: Path, territoria: Territoria, typed: str, says: str) -> None:
    out = territoria("init", str(tmp_path / "ws"), "--region", typed)
    assert_refused(out, f"unknown region '{typed}'", says, tmp_path / "ws")


def test_the_portals_are_asked_for_the_region(tmp_path: Path, territoria: Territoria) -> None:
    """Both exports have code_region: Bretagne's 1,202 communes as a list made a filter of 15 kB in
    the URL of a GET request, its four départements one of 40 bytes, the region one of 20."""
    out = territoria("init", str(tmp_path / "ws"), "--region", "53", "--pack", "energy_ghg")
    assert out.code == 0, out.text
    for source in ("conso-elec-iris", "conso-elec-gaz-commune"):
        text = (tmp_path / "ws" / "sources" / f"{source}.yaml").read_text(encoding="utf-8")
        assert 'where: code_region IN ("53")' in text and "code_commune IN" not in text, source
    # the same communes named by their départements are asked for by region too
    out = territoria("init", str(tmp_path / "deps"), "--departement", "22,29,35,56", "--pack", "energy_ghg")
    assert out.code == 0, out.text
    text = (tmp_path / "deps" / "sources" / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    assert 'where: code_region IN ("53")' in text
    # a département of the region alone is asked for by département; a commune more is a list again
    out = territoria("init", str(tmp_path / "one"), "--departement", "29", "--pack", "energy_ghg")
    assert 'where: code_departement IN ("29")' in (tmp_path / "one" / "sources" / "conso-elec-iris.yaml").read_text(
        encoding="utf-8"
    )
    out = territoria("init", str(tmp_path / "more"), "--region", "94", "--communes", "06088", "--pack", "energy_ghg")
    assert out.code == 0, out.text
    text = (tmp_path / "more" / "sources" / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    assert "where: code_commune IN" in text and '"06088"' in text and "where: code_region" not in text


def test_an_epci_with_communes_added_asks_for_both(tmp_path: Path, territoria: Territoria) -> None:
    """`--epci` with `--communes`: the exports asked by EPCI alone, so the added communes' rows
    never came; an EPCI alone is still asked by EPCI."""
    out = territoria("init", str(tmp_path / "ws"), "--epci", "249740119", "--communes", "97407", "--pack", "energy_ghg")
    assert out.code == 0, out.text
    for source in ("conso-elec-iris", "conso-elec-gaz-commune"):
        text = (tmp_path / "ws" / "sources" / f"{source}.yaml").read_text(encoding="utf-8")
        assert 'where: code_epci="249740119" OR code_commune IN ("97407")' in text, source
    out = territoria("init", str(tmp_path / "one"), "--epci", "249740119", "--pack", "energy_ghg")
    text = (tmp_path / "one" / "sources" / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    assert 'where: code_epci="249740119"\n' in text


def test_reference_search_finds_regions_and_departements(territoria: Territoria) -> None:
    """`territoria reference --search NAME` gives the code each option takes: it listed EPCIs and
    communes only, so a region's or département's code was nowhere to find."""
    out = territoria("reference", "--search", "réunion")
    assert out.code == 0, out.text
    assert "│ region │ 04 │ La Réunion │" in out.text and "│ departement │ 974 │ La Réunion │" in out.text
    assert "│ epci │ 249740119 │ CA Intercommunale du Nord de la Réunion (CINOR) │" in out.text
