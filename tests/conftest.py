"""Shared fixtures: small workspaces built offline from the shipped referential."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from doc_lines import DEMO_DIR, DEMO_LINE, CliDemo, Shell, sh, shell_env
from spawned import NO_BYTECODE
from territoria.engines.base import Engine
from territoria.pipelines import run_pipeline
from territoria.sensors.broker import PrivateBroker
from territoria.workspace import Workspace, init_demo_workspace, init_workspace

RENNES = "243500139"

os.environ.update(NO_BYTECODE)  # inherited by every process the tests start


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
def cli_demo(tmp_path_factory: pytest.TempPathFactory) -> CliDemo:
    """`territoria demo demo` typed for real, once for the session: the whole demo build (about a
    minute of CPU). Tests that need what it publishes copy ``root``, and never write into it."""
    home = tmp_path_factory.mktemp("cli-demo")
    out = sh(DEMO_LINE, home, shell_env(COLUMNS="160"), 900)
    assert out.returncode == 0, f"`{DEMO_LINE}` failed:\n{out.stdout}\n{out.stderr}"
    return CliDemo(home / DEMO_DIR, out)


@pytest.fixture(scope="session")
def doc_shell(cli_demo: CliDemo) -> Shell:
    """Runs a docs page's `sh` line as a user types it, except that a page starting with
    `territoria demo demo` in a folder without a demo gets a copy of the session's build and its
    output instead of a second identical build."""

    def shell(line: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        if line.strip() != DEMO_LINE or (cwd / DEMO_DIR).exists():
            return sh(line, cwd, env, timeout)
        shutil.copytree(cli_demo.root, cwd / DEMO_DIR, symlinks=True)
        return cli_demo.output

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
