"""Shared fixtures: small workspaces built offline from the shipped referential."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from territoria.engines.base import Engine
from territoria.pipelines import run_pipeline
from territoria.sensors.broker import PrivateBroker
from territoria.workspace import Workspace, init_demo_workspace, init_workspace

RENNES = "243500139"


@pytest.fixture
def small_ws(tmp_path: Path) -> Workspace:
    """Three communes of Rennes Métropole with the territory pack."""
    return init_workspace(tmp_path / "ws", communes=["35238", "35047", "35206"], name="Trois communes")


@pytest.fixture
def rennes_ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "rennes", epci=RENNES)


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Workspace]:
    """A fresh Rennes Métropole demo workspace (every pack, its inputs written, never run) at a
    given directory. Writing the demo's inputs replays the synthetic sensor network (about 16 CPU
    seconds): it is done once for the session and each test gets its own copy of the files."""
    template = init_demo_workspace(tmp_path_factory.mktemp("demo-template") / "ws").root

    def copy(directory: Path) -> Workspace:
        shutil.copytree(template, directory, symlinks=True)
        return Workspace(directory)

    return copy


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
