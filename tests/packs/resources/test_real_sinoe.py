"""The real ADEME SINOE file (a whole-line extract of the producer's file, bytes unmodified) loads
through the pack's source as published: comma separator, decimal commas, codes with leading zeros
and letters (2A), overseas départements. And a bad annual report is refused line by line."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb

from territoria.core.yamlio import read_yaml, write_yaml
from territoria.pipelines import run_pipeline
from territoria.workspace import init_workspace

FIXTURE = Path(__file__).parent / "data" / "SINOE14_TonnageDecheterieParTypeDechet.35-56-2A-971.csv"
PACKAGED = Path(__file__).parents[3] / "src/territoria/usecases/resources/data/sinoe-decheteries-departements.csv.gz"


def _query(root: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(root / ".territoria" / "store" / "store.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_packaged_extract_holds_the_producers_lines() -> None:
    packaged = gzip.decompress(PACKAGED.read_bytes()).splitlines(keepends=True)
    fixture = FIXTURE.read_bytes().splitlines(keepends=True)
    assert (
        packaged[0]
        == fixture[0]
        == b"ANNEE,C_REGION,L_REGION,C_DEPT,N_DEPT,C_TYP_REG_DECHET,L_TYP_REG_DECHET,TONNAGE_T\n"
    )
    assert set(fixture) <= set(packaged) and len(packaged) == 5300


def test_real_sinoe_file_loads_unmodified_and_a_bad_report_is_quarantined(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238", "2A004"], packs=["resources"])
    (ws.root / "data" / FIXTURE.name).write_bytes(FIXTURE.read_bytes())
    entry_path = ws.sources_dir / "sinoe-decheteries.yaml"
    entry = read_yaml(entry_path)
    entry["source"]["path"] = f"data/{FIXTURE.name}"
    write_yaml(entry_path, entry)
    (ws.root / "data" / "dechets-rapport-annuel.csv").write_text(
        "ANNEE;FLUX;TONNAGE_T;VALORISATION_MATIERE_T;VALORISATION_ORGANIQUE_T;VALORISATION_ENERGETIQUE_T;"
        "ELIMINATION_T;POPULATION_DESSERVIE\n"
        "2023;verre;1234,5;1234,5;;;;12 000\n"
        "2023;omr;5000;;;;;12000\n"
        "2023;emballages_papiers;-3;;;;;12000\n",
        encoding="utf-8",
    )
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
    steps = {r.step: r for r in summary.records}
    assert steps["ingest:sinoe-decheteries"].status == "success", steps["ingest:sinoe-decheteries"].error
    root = ws.root
    assert _query(root, 'SELECT count(*) FROM staging."sinoe-decheteries"') == [(210,)]
    assert _query(root, 'SELECT count(*) FROM quarantine."sinoe-decheteries"') == [(0,)]
    # "23504,78" in the file: the decimal comma is read, not dropped
    assert _query(
        root,
        "SELECT TONNAGE_T FROM staging.\"sinoe-decheteries\" WHERE ANNEE = 2009 AND C_DEPT = '35' "
        "AND C_TYP_REG_DECHET = '02B'",
    ) == [(23504.78,)]
    assert _query(root, 'SELECT DISTINCT C_DEPT FROM staging."sinoe-decheteries" ORDER BY 1') == [
        ("2A",),
        ("35",),
        ("56",),
        ("971",),
    ]
    # the indicator keeps the territory's départements: Ille-et-Vilaine and Corse-du-Sud
    assert steps["indicator:decheteries_departement"].status == "success"
    assert _query(root, "SELECT DISTINCT code FROM indicator.decheteries_departement ORDER BY 1") == [("2A",), ("35",)]

    # the report: one good line; an unknown stream and a negative tonnage go to quarantine, saying why
    assert _query(root, 'SELECT FLUX, TONNAGE_T, POPULATION_DESSERVIE FROM staging."dechets-rapport-annuel"') == [
        ("verre", 1234.5, 12000)
    ]
    quarantined = _query(root, 'SELECT _line, _errors FROM quarantine."dechets-rapport-annuel" ORDER BY _line')
    assert quarantined == [(3, ["FLUX: enum"]), (4, ["TONNAGE_T: minimum 0.0"])]


def test_the_example_report_is_valid(tmp_path: Path) -> None:
    """The example shipped for territories to copy passes the schema it illustrates."""
    example = PACKAGED.parents[1] / "examples" / "dechets-rapport-annuel.example.csv"
    ws = init_workspace(tmp_path / "ws", communes=["35238"], packs=["resources"])
    (ws.root / "data" / "dechets-rapport-annuel.csv").write_bytes(example.read_bytes())
    with ws.engine() as engine:
        summary = run_pipeline(
            ws, engine, only=["dechets-rapport-annuel", "dechets_flux", "dechets_valorisation"], hooks=[]
        )
    steps = {r.step: r for r in summary.records}
    assert steps["indicator:dechets_valorisation"].status == "success", steps["indicator:dechets_valorisation"].error
    assert _query(ws.root, 'SELECT count(*) FROM quarantine."dechets-rapport-annuel"') == [(0,)]
    dma = _query(ws.root, "SELECT round(value, 1) FROM indicator.dechets_valorisation WHERE measure = 'dma'")
    assert dma == [(round(100 * (2308.6 + 1790.1 + 593.6 + 4096.8 + 3445.0 + 1908.0 + 33.2) / 25850.0, 1),)]


def test_departement_names_are_the_referentials_not_sinoes(tmp_path: Path) -> None:
    """SINOE writes "Cotes-d'Armor" and "Hauts-de-seine": the published labels are the referential's."""
    ws = init_workspace(tmp_path / "ws", communes=["22278", "92012"], packs=["resources"])
    with ws.engine() as engine:
        run_pipeline(ws, engine, hooks=[])
        names = dict(engine.fetch_all("SELECT DISTINCT code, libelle FROM indicator.decheteries_departement"))
    assert names == {"22": "Côtes-d'Armor", "92": "Hauts-de-Seine"}
