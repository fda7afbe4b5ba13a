"""The adversary audit on demo-shaped data: the energy pack's own synthetic inputs (commune cells
and the IRIS electricity file re-aggregated to communes, which share cells) for a few communes,
published through the real pipeline with the protection loop on, then `territoria secrecy audit`.

Every table alone and the union of the tables sharing cells must leave no suppressed non-empty
cell pinned inside ±10 % of its value, and no primary cell computable.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from territoria.catalog.packs import load_pack
from territoria.cli.main import app
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace

#: Bruz, Chantepie, Acigné, Bécherel, Pacé: towns with several IRIS, and a village without
COMMUNES = ["35047", "35055", "35001", "35022", "35210"]


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("demo-audit") / "ws"
    ws = init_workspace(root, communes=COMMUNES, name="Cinq communes (démo)", packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    policies = yaml.safe_load((root / "policies.yaml").read_text(encoding="utf-8")) or {}
    policies["secrecy"] = {"energy": {"protection_loop": True}, "energy_iris": {"protection_loop": True}}
    (root / "policies.yaml").write_text(yaml.safe_dump(policies), encoding="utf-8")
    ws = Workspace(root)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    return ws


def test_the_demo_shaped_publication_passes_the_audit(demo_ws: Workspace) -> None:
    result = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(demo_ws.root), "--json"], env={"COLUMNS": "200"})
    data = json.loads(result.output)
    reports = {tuple(r["tables"]): r for r in data["reports"]}
    union = ("energie_cellules", "energie_elec_iris")
    assert {("energie_cellules",), ("energie_elec_iris",), union} <= set(reports), list(reports)
    assert reports[union]["suppressed"] > 0  # cells were suppressed, jointly
    for tables, report in reports.items():
        assert report["exposed"] == 0, (tables, report["cells"][:5])
        assert report["disclosed_primary"] == 0, tables
    assert result.exit_code == 0, result.output[-2000:]
