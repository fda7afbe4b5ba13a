"""An outsider against Paris's energy cells: Agence ORE gives the city by arrondissement (summed
into 75056), Enedis's IRIS file names each IRIS by its arrondissement (summed into 75056 too). When
ORE masks one arrondissement's cell, the city's cell of energie_cellules is a lower bound (the known
arrondissements); the IRIS table's city cell of the same sector and year is complete. Both published,
their difference is the masked arrondissement's consumption."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.yamlio import read_yaml, write_yaml
from territoria.workspace import Workspace

ARRONDISSEMENTS = [str(n) for n in range(75101, 75121)]
IRIS_SECTORS = ["residentiel", "professionnel", "agriculture", "industrie", "tertiaire", "secteur_non_affecte"]
#: the arrondissement whose tertiary electricity ORE masks ("s"), and its consumption (MWh)
MASKED = "75101"


def tertiary_mwh(arrondissement: str) -> float:
    return 1000.0 + 10 * (int(arrondissement) - 75100)


def write_ore(path: Path, masked: set[str]) -> None:
    """Agence ORE's export for Paris, 2022 electricity: residential and tertiary rows by
    arrondissement (no row for the city whole), the tertiary rows of ``masked`` given as "s"."""
    lines = ["operateur;annee;filiere;code_categorie_consommation;code_grand_secteur;code_secteur_naf2;"
             "conso_totale_mwh;conso_moyenne_mwh;nb_sites;code_commune;nom_commune"]  # fmt: skip
    for code in ARRONDISSEMENTS:
        lines.append(f"Enedis;2022;Electricité;RES;RESIDENTIEL;;20000.0;2.0;10000;{code};Paris")
        mwh = tertiary_mwh(code)
        value = "s;s;s" if code in masked else f"{mwh};{mwh / 300};300"
        lines.append(f"Enedis;2022;Electricité;ENT;TERTIAIRE;47;{value};{code};Paris")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def iris_header() -> list[str]:
    """The columns of Enedis's IRIS file (field names), its six sectors' sites and consumption."""
    header = ["annee", "code_iris", "nom_iris", "type_iris", "code_commune", "nom_commune", "code_epci",
              "nom_epci", "type_epci", "code_departement", "code_region"]  # fmt: skip
    measures = (("nb_sites", ""), ("conso_totale", "_mwh"), ("conso_moyenne", "_mwh"))
    return header + [f"{k}_{s}{u}" for s in IRIS_SECTORS for k, u in measures]


def write_enedis_iris(path: Path, masked_mwh: set[str] = frozenset(), mask: str = "s") -> None:  # type: ignore[assignment]
    """Enedis's IRIS file: one IRIS per arrondissement (its code starts with the arrondissement's),
    the same residential and tertiary figures as ORE's; no other sector. The tertiary consumption
    of the IRIS of ``masked_mwh`` is ``mask`` ("s", or left empty), its count of sites given."""
    lines = [";".join(iris_header())]
    for code in ARRONDISSEMENTS:
        mwh = tertiary_mwh(code)
        tertiary = f"300;{mask};{mask}" if code in masked_mwh else f"300;{mwh};{mwh / 300}"
        values = {"residentiel": "10000;20000.0;2.0", "tertiaire": tertiary}
        cells = [values.get(s, ";;") for s in IRIS_SECTORS]
        lines.append(f"2022;{code}0101;IRIS {code};H;{code};Paris;200054781;Métropole du Grand Paris;MET;75;11;"
                     + ";".join(cells))  # fmt: skip
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


def paris_workspace(
    root: Path,
    *,
    ore_masked: set[str] = frozenset(),  # type: ignore[assignment]
    iris_masked: set[str] = frozenset(),  # type: ignore[assignment]
    mask: str = "s",
    engine: dict[str, Any] | None = None,
    ore_edit: Callable[[str], str] = str,
) -> Workspace:
    """A workspace of Paris with the energy pack (its ``territory.yaml`` updated with ``engine``),
    these two files (ORE's text passed through ``ore_edit``), run."""
    made = CliRunner().invoke(app, ["init", str(root), "--communes", "75056", "--pack", "energy_ghg"])
    assert made.exit_code == 0, made.output
    if engine:
        config = read_yaml(root / "territory.yaml")
        write_yaml(root / "territory.yaml", {**config, **engine})
    ore = root / "data" / "conso-elec-gaz-commune.csv"
    write_ore(ore, ore_masked)
    ore.write_text(ore_edit(ore.read_text(encoding="utf-8")), encoding="utf-8")
    write_enedis_iris(root / "data" / "conso-elec-iris.csv", iris_masked, mask)
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    return Workspace(root)


@pytest.fixture(scope="module")
def paris(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return paris_workspace(tmp_path_factory.mktemp("paris-energy") / "ws", ore_masked={MASKED})


def test_a_lower_bound_and_the_complete_cell_are_never_both_published(paris: Workspace) -> None:
    with paris.engine() as engine:
        pairs = engine.fetch_all(
            "SELECT c.mesh, c.code, c.sector, c.consumption_mwh, c.lower_bound, i.consumption_mwh, i.lower_bound "
            "FROM published.energie_cellules c JOIN published.energie_elec_iris i "
            "ON i.code = c.code AND i.sector = c.sector AND i.period = c.period AND i.mesh <> 'iris' "
            "WHERE c.energy = 'electricite' AND c.period = 2022 ORDER BY ALL"
        )
    assert pairs, "no cell both tables publish"
    both = [p for p in pairs if p[3] is not None and p[5] is not None]
    # a published pair of a lower bound and a complete cell gives what was masked by difference
    leaks = [(p[1], p[2], p[5] - p[3]) for p in both if p[4] != p[6]]
    assert leaks == [], f"masked {MASKED} tertiary ({tertiary_mwh(MASKED)} MWh) recovered: {leaks}"


def test_the_outsiders_audit_finds_nothing_on_paris(paris: Workspace) -> None:
    """The audit's linear programs over both tables (their shared cells one unknown): no suppressed
    cell of the city, the territory or an IRIS is disclosed or pinned within its protection range."""
    audited = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(paris.root), "--json"])
    assert audited.exit_code == 0, audited.output


@pytest.mark.parametrize("mask", ["s", ""])
def test_a_consumption_masked_with_its_sites_given_is_a_masked_component(mask: str, tmp_path: Path) -> None:
    """Enedis masks an IRIS's consumption ("s", or leaves it empty) and gives its count of sites:
    the IRIS is a masked component of its city's sum, a lower bound. Before, only a masked count
    made a component masked: the IRIS was left out, the city's sum published as complete beside
    ORE's complete cell, and their difference gave the IRIS's consumption."""
    ws = paris_workspace(tmp_path / "ws", iris_masked={MASKED}, mask=mask)
    with ws.engine() as engine:
        iris = engine.fetch_all(
            "SELECT lower_bound, masked_input FROM model.energie_elec_iris "
            f"WHERE code = '{MASKED}0101' AND sector = 'tertiaire'"
        )
        pairs = engine.fetch_all(
            "SELECT c.code, c.sector, c.consumption_mwh, i.consumption_mwh FROM published.energie_cellules c "
            "JOIN published.energie_elec_iris i ON i.code = c.code AND i.sector = c.sector AND i.period = c.period "
            "AND i.mesh <> 'iris' WHERE c.energy = 'electricite' AND c.consumption_mwh <> i.consumption_mwh"
        )
    assert pairs == [], f"masked IRIS ({tertiary_mwh(MASKED)} MWh) recovered by difference"
    assert iris == [(False, True)]


def test_an_ore_row_with_sites_and_no_consumption_is_masked(tmp_path: Path) -> None:
    """The national file leaves a masked consumption empty; without its count of masked meshes,
    a row with sites and no consumption is still a masked component (a lower bound of its city)."""
    known = f"{tertiary_mwh(MASKED)};{tertiary_mwh(MASKED) / 300};300;{MASKED}"
    ws = paris_workspace(tmp_path / "ws", ore_edit=lambda text: text.replace(known, f";;300;{MASKED}"))
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT masked_components, components FROM model.energie_conso_commune WHERE sector = 'tertiaire'"
        )
        pairs = engine.fetch_all(
            "SELECT c.code, c.sector FROM published.energie_cellules c JOIN published.energie_elec_iris i "
            "ON i.code = c.code AND i.sector = c.sector AND i.period = c.period AND i.mesh <> 'iris' "
            "WHERE c.energy = 'electricite' AND c.consumption_mwh <> i.consumption_mwh"
        )
    assert rows == [(1, 20)]
    assert pairs == []
