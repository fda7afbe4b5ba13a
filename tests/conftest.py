"""Shared fixtures: small workspaces built offline from the shipped referential."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from doc_lines import DEMO_DIR, DEMO_LINE, Shell, sh
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


@pytest.fixture(scope="session")
def doc_shell(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    """Runs a docs page's `sh` line as a user types it. The whole demo build (`territoria demo
    demo`, a minute of CPU) is typed for real once per session; a page that starts with it in a
    folder without a demo gets a copy of that build and its output."""
    built: list[tuple[Path, subprocess.CompletedProcess[str]]] = []

    def shell(line: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        if line.strip() != DEMO_LINE or (cwd / DEMO_DIR).exists():
            return sh(line, cwd, env, timeout)
        if not built:
            home = tmp_path_factory.mktemp("cli-demo")
            out = sh(line, home, env, timeout)
            if out.returncode != 0:
                return out
            built.append((home / DEMO_DIR, out))
        shutil.copytree(built[0][0], cwd / DEMO_DIR, symlinks=True)
        return built[0][1]

    return shell


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
