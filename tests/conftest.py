"""Shared fixtures: small workspaces built offline from the shipped referential."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.engines.base import Engine
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace

RENNES = "243500139"


@pytest.fixture
def small_ws(tmp_path: Path) -> Workspace:
    """Three communes of Rennes Métropole with the territory pack."""
    return init_workspace(tmp_path / "ws", communes=["35238", "35047", "35206"], name="Trois communes")


@pytest.fixture
def rennes_ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "rennes", epci=RENNES)


def run(ws: Workspace, **kwargs: object) -> tuple[object, Engine]:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, **kwargs)  # type: ignore[arg-type]
    return summary, engine
