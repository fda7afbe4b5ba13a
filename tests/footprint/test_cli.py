"""`territoria footprint` answers "what does this indicator cost us per month?" and the other views."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.workspace import Workspace

runner = CliRunner()


def invoke(ws: Workspace, *args: str) -> str:
    result = runner.invoke(app, ["footprint", *args, "-w", str(ws.root)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_cost_per_month_of_the_indicator(ran_ws: Workspace) -> None:
    out = invoke(ran_ws, "--dataset", "densite_population")
    assert "densite_population" in out and "per month" in out and "Wh" in out and "CO2e" in out
    assert "estimated" in out and "FR (table" in out
    assert "ingest:contours-communes" in out  # its share of upstream work is listed
    data = json.loads(invoke(ran_ws, "--dataset", "densite_population", "--json"))
    assert data["monthly_wh"]["low"] <= data["monthly_wh"]["value"] <= data["monthly_wh"]["high"]
    assert data["monthly_wh"]["value"] > 0 and data["methods"] == ["estimated"]
    assert {c["step"] for c in data["contributions"]} >= {"indicator:densite_population", "ingest:population-communes"}


def test_views_by_run_pack_dataset_step_and_trend(ran_ws: Workspace) -> None:
    runs = json.loads(invoke(ran_ws, "--json"))
    assert len(runs) == 2 and all(r["footprint"]["method"] == "estimated" for r in runs)
    assert runs[0]["footprint"]["avoided"]["energy_wh"]["value"] > 0  # the no-change run
    assert "avoided" in invoke(ran_ws)
    packs = json.loads(invoke(ran_ws, "--by", "pack", "--json"))
    assert [p["name"] for p in packs] == ["territory"]
    steps = json.loads(invoke(ran_ws, "--by", "step", "--top", "3", "--json"))
    assert len(steps) == 3 and steps[0]["energy"]["value"] >= steps[-1]["energy"]["value"]
    datasets = json.loads(invoke(ran_ws, "--by", "dataset", "--json"))
    assert "published.densite_population" in {d["dataset"] for d in datasets}
    trend = json.loads(invoke(ran_ws, "--trend", "--json"))
    assert trend[0]["runs"] == 2
    assert "would free 0" in invoke(ran_ws, "prune", "--dry-run")


def test_unknown_dataset_is_a_clear_error(ran_ws: Workspace) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "territoria.cli.main",
            "footprint",
            "--dataset",
            "densite_populaton",
            "-w",
            str(ran_ws.root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no footprint for 'densite_populaton'" in proc.stderr and "densite_population" in proc.stderr
    assert "Traceback" not in proc.stderr
