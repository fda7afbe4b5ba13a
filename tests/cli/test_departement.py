"""`territoria init --departement`: every commune of a département as the territory (no EPCI: its
rows summarise as mesh `territoire`), Corsica's 2A and 2B, the overseas départements; a code that
names no département is a message with a hint (the close codes or names, Corsica's two codes, the
communes of an overseas collectivity), exit code 2, and no workspace written."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.reference.referential import referential
from territoria.workspace import Workspace

from .conftest import Territoria, assert_refused


@pytest.mark.parametrize(
    ("typed", "name", "departements"),
    [
        ("35", "Ille-et-Vilaine", ["35"]),
        ("2a", "Corse-du-Sud", ["2A"]),
        ("2A,2B", "Corse-du-Sud et Haute-Corse", ["2A", "2B"]),
        ("971", "Guadeloupe", ["971"]),
        ("976", "Mayotte", ["976"]),
        ("1", "Ain", ["01"]),
    ],
)
def test_a_departement_is_every_commune_of_it(
    tmp_path: Path, territoria: Territoria, typed: str, name: str, departements: list[str]
) -> None:
    out = territoria("init", str(tmp_path / "ws"), "--departement", typed)
    assert out.code == 0, out.text
    expected = sorted(c.code for c in referential().communes.values() if c.departement in departements)
    config = Workspace(tmp_path / "ws").config
    assert config.communes == expected and len(expected) > 10
    assert (config.name, config.epci, config.mesh) == (name, None, "territoire")
    assert f"workspace {name} created" in out.text and f"{len(expected)} communes" in out.text


def test_a_departement_and_communes_together(tmp_path: Path, territoria: Territoria) -> None:
    """The territory is every commune named: a département and a commune of another one."""
    out = territoria("init", str(tmp_path / "ws"), "--departement", "2B", "--communes", "2A004")
    assert out.code == 0, out.text
    config = Workspace(tmp_path / "ws").config
    assert "2A004" in config.communes and len(config.communes) == len(referential().departement("2B").communes) + 1
    assert config.name == f"Territoire de {len(config.communes)} communes"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("20", "Corsica is two départements since 1976: 2A (Corse-du-Sud) and 2B (Haute-Corse)"),
        (
            "975",
            "975 is Saint-Pierre-et-Miquelon, an overseas collectivity (collectivité d'outre-mer), "
            "not a département: name its communes with --communes 97501,97502",
        ),
        ("36x", "did you mean 36 (Indre)?"),
        ("Finistère", "did you mean 29 (Finistère)?"),
        ("99", "a département is named by its code: 01-95, 2A and 2B for Corsica, 971-974 and 976 overseas"),
    ],
)
def test_an_unknown_departement_says_what_to_type(
    tmp_path: Path, territoria: Territoria, typed: str, says: str
) -> None:
    out = territoria("init", str(tmp_path / "ws"), "--departement", typed)
    assert_refused(out, f"unknown département '{typed}'", says, tmp_path / "ws")


def test_help_names_the_options(territoria: Territoria) -> None:
    out = territoria("init", "--help")
    assert out.code == 0 and "--departement" in out.text and "2A or 2B" in out.text, out.text
    assert "--region" in out.text and "53 Bretagne" in out.text, out.text


def test_the_portals_are_asked_for_the_departement(tmp_path: Path, territoria: Territoria) -> None:
    """Opendatasoft exports are GET requests: the territory's rows are asked by département, not by
    the list of its communes (Pas-de-Calais's 890 communes made a filter of 9 kB in the URL)."""
    out = territoria("init", str(tmp_path / "ws"), "--departement", "62", "--pack", "energy_ghg")
    assert out.code == 0, out.text
    for source in ("conso-elec-iris", "conso-elec-gaz-commune"):
        text = (tmp_path / "ws" / "sources" / f"{source}.yaml").read_text(encoding="utf-8")
        assert 'where: code_departement IN ("62")' in text and "code_commune IN" not in text, source
    # a commune more, or fewer, is a list of communes again
    out = territoria(
        "init", str(tmp_path / "more"), "--departement", "62", "--communes", "59350", "--pack", "energy_ghg"
    )
    assert out.code == 0, out.text
    text = (tmp_path / "more" / "sources" / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    assert "code_commune IN" in text and '"59350"' in text
