"""The demo's publication (Rennes Métropole, 43 communes, every pack's demo inputs, the shipped
rule sets: protection loop on), audited by the secrecy tests: the energy pack's tables are the
only ones with margins."""

from __future__ import annotations

import shutil

import pytest

from doc_lines import CliDemo
from territoria.workspace import Workspace


@pytest.fixture(scope="session")
def demo_energy_ws(cli_demo: CliDemo, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """What `territoria demo` publishes: a copy of the session's real build of it (shared with
    the docs pages that start with that command)."""
    root = tmp_path_factory.mktemp("demo-energy") / "ws"
    shutil.copytree(cli_demo.root, root, symlinks=True)
    return Workspace(root)
