"""The demo's energy publication (Rennes Métropole, 43 communes, the energy pack's synthetic
inputs, the shipped rule sets: protection loop on), built once for the secrecy tests that audit it."""

from __future__ import annotations

import pytest

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.workspace import DEMO_EPCI


@pytest.fixture(scope="session")
def demo_energy_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """What `territoria demo` publishes from the energy pack (the only tables with margins): the
    same communes, inputs and rule sets; the other packs publish no table with margins."""
    root = tmp_path_factory.mktemp("demo-energy") / "ws"
    ws = init_workspace(root, epci=DEMO_EPCI, packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    return Workspace(root)
