"""The secrecy tie between Agence ORE's cells (every network operator) and Enedis's IRIS file
(Enedis's network only) where Enedis is not the only operator. Grenoble's electricity is
distributed by GreenAlp (GEG's local distribution company), Strasbourg's by Strasbourg
Électricité Réseaux; RTE serves large sites directly. ORE's commune cell is then Enedis's cell
plus the other operators' part: not one quantity. Before, the tie took them for one:

- Grenoble's residential cell (90,000 GreenAlp sites and 5 Enedis sites) was hidden because the
  IRIS table hides Enedis's 5-site cell (wrongly hidden);
- Échirolles' tertiary cell (2,000 Enedis sites and one RTE site) and Enedis's cell were both
  published: their difference is the one RTE site's consumption (recovered).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from territoria.catalog.packs import load_pack
from territoria.cli.main import app
from territoria.core.yamlio import read_yaml
from territoria.governance.secrecy.rules import least_counts
from territoria.workspace import Workspace

from .test_secrecy_arrondissements import IRIS_SECTORS, iris_header

GRENOBLE, ECHIROLLES = "38185", "38151"
#: communes of Grenoble-Alpes-Métropole served by Enedis alone (Meylan, Saint-Martin-d'Hères, Fontaine, Eybens)
ENEDIS_ONLY = ["38229", "38421", "38169", "38158"]
#: ORE's category, sector, NAF and this table's sector; delivery points of a commune (x its rank + 1)
SECTORS = [("RES", "RESIDENTIEL", "", "residentiel", 8000), ("PRO", "TERTIAIRE", "", "professionnel", 300),
           ("ENT", "TERTIAIRE", "47", "tertiaire", 900), ("ENT", "INDUSTRIE", "25", "industrie", 40)]  # fmt: skip


def _enedis(rank: int, sites: int) -> tuple[float, int]:
    """(MWh, sites) of Enedis's rows: every commune's own magnitude, no two totals alike."""
    count = sites * (rank + 1) + 7 * rank
    return round(count * (2.5 + 0.37 * rank), 1), count


#: Agence ORE's 2022 rows (electricity, and gas by GRDF): (operator, category, sector, NAF, MWh, sites, commune)
ORE = (
    [
        ("Enedis", cat, big, naf, *_enedis(rank, sites), code)
        for rank, code in enumerate([ECHIROLLES, *ENEDIS_ONLY])
        for cat, big, naf, _, sites in SECTORS
    ]
    + [
        ("GRDF", cat, big, naf, *_enedis(rank + 2, sites // 2), code)  # gas: GRDF, not in the tie
        for rank, code in enumerate([GRENOBLE, ECHIROLLES, *ENEDIS_ONLY])
        for cat, big, naf, _, sites in SECTORS
    ]
    + [
        ("RTE", "ENT", "TERTIAIRE", "47", 9000.0, 1, ECHIROLLES),  # one site connected to the transmission grid
        ("Enedis", "RES", "RESIDENTIEL", "", 12.0, 5, GRENOBLE),  # a few houses on Enedis's network
        *(("GreenAlp", cat, big, naf, *_enedis(9, sites), GRENOBLE) for cat, big, naf, _, sites in SECTORS),
    ]
)
SECTOR_OF = {(cat, big): sector for cat, big, _, sector, _ in SECTORS}
#: Enedis's IRIS file: one IRIS per commune, ORE's Enedis rows only (commune -> sector -> (sites, MWh))
IRIS: dict[str, dict[str, tuple[int, float]]] = {}
for op, cat, big, _, mwh, sites, code in ORE:
    if op == "Enedis":
        IRIS.setdefault(code, {})[SECTOR_OF[cat, big]] = (sites, mwh)


def _write_ore(path: Path) -> None:
    lines = ["operateur;annee;filiere;code_categorie_consommation;code_grand_secteur;code_secteur_naf2;"
             "conso_totale_mwh;conso_moyenne_mwh;nb_sites;code_commune;nom_commune"]  # fmt: skip
    for op, cat, sector, naf, mwh, sites, code in ORE:
        energy = "Gaz" if op == "GRDF" else "Electricité"
        lines.append(f"{op};2022;{energy};{cat};{sector};{naf};{mwh};{mwh / sites};{sites};{code};X")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_iris(path: Path) -> None:
    lines = [";".join(iris_header())]
    for code, sectors in IRIS.items():
        cells = [f"{sectors[s][0]};{sectors[s][1]};{sectors[s][1] / sectors[s][0]}" if s in sectors else ";;"
                 for s in IRIS_SECTORS]  # fmt: skip
        place = f"2022;{code}0101;IRIS;H;{code};X;200040715;Grenoble-Alpes-Métropole;METRO;38;84"
        lines.append(";".join([place, *cells]))
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("eld") / "ws"
    communes = ",".join([GRENOBLE, ECHIROLLES, *ENEDIS_ONLY])
    made = CliRunner().invoke(app, ["init", str(root), "--communes", communes, "--pack", "energy_ghg"])
    assert made.exit_code == 0, made.output
    _write_ore(root / "data" / "conso-elec-gaz-commune.csv")
    _write_iris(root / "data" / "conso-elec-iris.csv")
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    return Workspace(root)


def _published(ws: Workspace, table: str, code: str, sector: str, energy: str = "") -> float | None:
    where = " AND energy = 'electricite'" if table == "energie_cellules" else " AND mesh <> 'iris'"
    with ws.engine() as engine:
        rows = engine.fetch_all(
            f"SELECT consumption_mwh FROM published.{table} WHERE code = ? AND sector = ? AND period = 2022{where}",
            [code, sector],
        )
    assert len(rows) == 1, rows
    value: float | None = rows[0][0]
    return value


def test_a_cell_served_by_a_local_company_is_not_hidden_for_enedis_few_sites(ws: Workspace) -> None:
    assert _published(ws, "energie_elec_iris", GRENOBLE, "residentiel") is None  # Enedis's 5 sites
    greenalp = _enedis(9, 8000)[0]
    assert _published(ws, "energie_cellules", GRENOBLE, "residentiel") == pytest.approx(greenalp + 12.0)


def test_one_rte_site_is_not_given_by_difference(ws: Workspace) -> None:
    ore = _published(ws, "energie_cellules", ECHIROLLES, "tertiaire")
    enedis = _published(ws, "energie_elec_iris", ECHIROLLES, "tertiaire")
    assert ore is None or enedis is None, f"the RTE site's consumption is published: {ore} - {enedis}"


def test_the_cells_say_which_hold_another_operator(ws: Workspace) -> None:
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT code, sector, other_operators, other_operators_secret FROM published.energie_cellules "
            "WHERE mesh = 'commune' AND energy = 'electricite' AND sector IN ('residentiel', 'tertiaire') "
            "AND code IN (?, ?) ORDER BY ALL",
            [GRENOBLE, ECHIROLLES],
        )
    assert rows == [(ECHIROLLES, "residentiel", False, False), (ECHIROLLES, "tertiaire", True, True),
                    (GRENOBLE, "residentiel", True, False), (GRENOBLE, "tertiaire", True, False)]  # fmt: skip


def test_the_other_operators_threshold_is_the_policies(ws: Workspace, tmp_path: Path) -> None:
    """energie_cellules flags another operator's part as secret with the thresholds the guard
    applies, policies.yaml's overrides included. Before, the SQL held its own copy (10 and 3): a
    territory raising the non-residential threshold to 10,000 units had Grenoble's tertiary cell
    (9,063 GreenAlp sites) untied from Enedis's, whose difference then gave a part its own rule hides."""
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root, ignore=shutil.ignore_patterns("*.wal"))
    policies = root / "policies.yaml"
    data = (read_yaml(policies) if policies.is_file() else None) or {}
    data["secrecy"] = {"energy": {"rules": {"entreprises-3-unites": {"threshold": 10000}}}}
    policies.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    with Workspace(root).engine() as engine:
        flags = engine.fetch_all(
            "SELECT sector, other_operators_secret FROM published.energie_cellules WHERE mesh = 'commune' "
            "AND energy = 'electricite' AND code = ? AND sector IN ('residentiel', 'tertiaire') ORDER BY ALL",
            [GRENOBLE],
        )
    assert flags == [("residentiel", False), ("tertiaire", True)]


@pytest.mark.parametrize(
    ("override", "least"),
    [({}, (10, 3)), ({"threshold": 11}, (11, 3)), ({"operator": ">"}, (11, 3)), ({"threshold": 10.5}, (11, 3))],
)
def test_a_model_reads_the_least_count_each_rule_publishes(override: dict[str, object], least: tuple[int, int]) -> None:
    pack = load_pack("energy_ghg")
    policies = {"secrecy": {"energy": {"rules": {"residentiel-10-points": override}}}} if override else None
    counts = least_counts(pack.directory, policies)
    got = (counts["secrecy.energy.residentiel-10-points.least"], counts["secrecy.energy.entreprises-3-unites.least"])
    assert got == least
    removed = least_counts(
        pack.directory, {"secrecy": {"energy": {"rules": [{"id": "x", "kind": "masked_input", "column": "m"}]}}}
    )
    assert removed["secrecy.energy.residentiel-10-points.least"] == 10  # a rule removed keeps the shipped threshold
    sql = pack.read_sql("models/energie_cellules.sql")
    # the rules' own split of the sectors too (tests/energy/test_secrecy_other_part_rules.py)
    assert "param('secrecy.energy.least.nb_sites')" in sql and " 10 ELSE 3 " not in sql
