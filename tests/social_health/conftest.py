"""One workspace with the social and health pack, loaded with real files: INSEE's Filosofi
(whole lines of the national files) and Atmo Nouvelle-Aquitaine's station measures for Poitiers
(a real Opendatasoft v1 records payload), run once for the tests of this folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from territoria.pipelines import run_pipeline
from territoria.usecases.social_health.demo import COMMUNES_FILE, IRIS_FILE
from territoria.workspace import Workspace, init_workspace

DATA = Path(__file__).parent / "data"
COM_SUBSET = DATA / "cc_filosofi_2021_COM.subset.csv"
IRIS_SUBSET = DATA / "BASE_TD_FILO_IRIS_2021_DISP.subset.csv"
AIR_PAYLOAD = DATA / "grand-poitiers-atmo-concentrations-horaires-records-v1.json"
# Rennes (split into IRIS), Bécherel and La Chapelle-Thouarault (small: INSEE masks their rates),
# Bourg-en-Bresse (01053) and Ajaccio (2A004): leading zeros and Corsica; Poitiers for the air
COMMUNES = ["35238", "35022", "35065", "01053", "2A004", "86194"]


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, str]]:
    ws = init_workspace(tmp_path_factory.mktemp("social") / "ws", communes=COMMUNES, packs=["social_health"])
    # the real files as their producers published them (Filosofi: whole lines of départements 01,
    # 35, 2A, 2B, 97x, more communes than the territory, which the models leave out)
    shutil.copyfile(COM_SUBSET, ws.root / "data" / COMMUNES_FILE)
    shutil.copyfile(IRIS_SUBSET, ws.root / "data" / IRIS_FILE)
    entry = ws.root / "sources" / "qualite-air-mesures.yaml"
    # a territory's own input: its entry reads data/qualite-air-mesures.json, not labelled synthetic
    entry.write_text(entry.read_text(encoding="utf-8").replace("qualite-air-mesures.json", AIR_PAYLOAD.name), "utf-8")
    shutil.copyfile(AIR_PAYLOAD, ws.root / "data" / AIR_PAYLOAD.name)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
    statuses = {r.step: r.status for r in summary.records}
    return ws, statuses
