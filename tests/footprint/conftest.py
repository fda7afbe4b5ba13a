"""A workspace that already ran twice (one full run, one run with nothing changed), built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace


@pytest.fixture(scope="session")
def ran_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("footprint") / "ws"
    ws = init_workspace(root, communes=["35238", "35047", "35206"], name="Trois communes")
    with ws.engine() as engine:
        run_pipeline(ws, engine)
        run_pipeline(ws, engine)
    return root


@pytest.fixture
def ran_ws(ran_template: Path, tmp_path: Path) -> Workspace:
    """A private copy, free to change."""
    target = tmp_path / "ran"
    shutil.copytree(ran_template, target)
    return Workspace(target)
