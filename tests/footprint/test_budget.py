"""A warning when a run, a pack or a dataset's monthly cost grows beyond the territory's budget."""

from __future__ import annotations

import yaml

from territoria.footprint.report import FootprintReport
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def set_budget(ws: Workspace, budget: dict) -> None:  # type: ignore[type-arg]
    path = ws.root / "policies.yaml"
    policies = yaml.safe_load(path.read_text())
    policies["footprint"] = {"budget": budget}
    path.write_text(yaml.safe_dump(policies))


def test_run_and_pack_over_budget_warn(ran_ws: Workspace) -> None:
    set_budget(ran_ws, {"run_wh": 1e-9, "pack_wh": {"territory": 1e-9, "energie": 1e-9}})
    with ran_ws.engine() as engine:
        summary = run_pipeline(ran_ws, engine, force=True)
        stored = engine.fetch_all(
            "SELECT footprint->>'warnings' FROM _territoria.runs WHERE run_id = ?", [summary.run_id]
        )
    warnings = summary.footprint["warnings"]
    assert any("over the territory's budget" in w for w in warnings)
    assert any(w.startswith("pack territory used") for w in warnings)
    assert not any("energie" in w for w in warnings)  # a pack that did not run has used nothing
    assert "budget" in stored[0][0]


def test_within_budget_is_silent(ran_ws: Workspace) -> None:
    set_budget(ran_ws, {"run_wh": 1000.0, "pack_wh": {"territory": 1000.0}, "monthly_wh": {"densite_population": 1000}})
    with ran_ws.engine() as engine:
        summary = run_pipeline(ran_ws, engine)
        cost = FootprintReport(ran_ws, engine).dataset("densite_population")
    assert summary.footprint["warnings"] == []
    assert cost is not None and cost.warnings == []


def test_monthly_budget_of_an_indicator(ran_ws: Workspace) -> None:
    set_budget(ran_ws, {"monthly_wh": {"densite_population": 1e-12}})
    with ran_ws.engine() as engine:
        cost = FootprintReport(ran_ws, engine).dataset("densite_population")
    assert cost is not None and cost.warnings and "per month, over its budget" in cost.warnings[0]
