"""Shared fixtures: small workspaces built offline from the shipped referential."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from territoria.engines.base import Engine
from territoria.pipelines import run_pipeline
from territoria.sensors.broker import PrivateBroker
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


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A private Mosquitto on a free port, for the sensor and supervisor tests."""
    instance = PrivateBroker(tmp_path / "mosquitto")
    instance.start()
    yield instance
    instance.stop()
