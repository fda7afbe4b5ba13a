"""One Rennes Métropole workspace with the energy pack, demo inputs, a planted small cell, run once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from territoria.catalog.packs import load_pack
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.pipelines import run_pipeline
from territoria.usecases.energy_ghg.demo import ORE_FILE
from territoria.workspace import Workspace, init_workspace

RENNES = "243500139"
#: Bécherel, residential gas in 2020: rewritten to 4 delivery points (under the 10-point rule)
PLANTED = ("35022", "residentiel", "gaz", 2020)


@dataclass
class EnergyRun:
    ws: Workspace
    status: str


def plant_small_cell(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    head = rows[0]
    col = {c: i for i, c in enumerate(head)}
    for row in rows[1:]:
        if (
            row[col["code_commune"]],
            row[col["code_categorie_consommation"]],
            row[col["filiere"]],
            row[col["annee"]],
        ) == (
            PLANTED[0],
            "RES",
            "Gaz",
            str(PLANTED[3]),
        ):
            row[col["nb_sites"]], row[col["conso_totale_mwh"]], row[col["conso_moyenne_mwh"]] = "4", "38.2", "9.55"
            break
    else:
        raise AssertionError("the demo file has no row to plant the small cell in")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="package")
def energy_run(tmp_path_factory: pytest.TempPathFactory) -> EnergyRun:
    ws = init_workspace(tmp_path_factory.mktemp("energy") / "rennes", epci=RENNES, packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    plant_small_cell(ws.root / "data" / ORE_FILE)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    return EnergyRun(ws, summary.status)


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    """An in-memory DuckDB store, for a model's SQL run on hand-made tables."""
    engine = open_duckdb(None)
    yield engine
    engine.close()
