"""Access levels flow through lineage: the API enforces the effective level, `config validate` reports it."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import yaml

from territoria.api import create_app
from territoria.core.vocab import AccessLevel
from territoria.governance.levels import Node, effective_levels
from territoria.pipelines import build_plan
from territoria.pipelines.config_check import check_levels, check_workspace
from territoria.workspace import Workspace
from territoria.workspace.policies import Declassification

DERIVED = "densite_population"  # computed from `communes`, itself from the source below
SOURCE = "population-communes"


def test_a_derived_dataset_is_at_least_as_closed_as_its_inputs() -> None:
    nodes = {
        "raw": Node(AccessLevel.personal),
        "mid": Node(AccessLevel.open, ("raw",)),
        "out": Node(AccessLevel.open, ("mid",)),
        "safe": Node(AccessLevel.open, ("raw",), secrecy="energy"),
        "signed": Node(AccessLevel.open, ("raw",)),
    }
    signed = Declassification(dataset="signed", level=AccessLevel.restricted, by="DPO", why="k-anonymity 11")
    levels = effective_levels(nodes, [signed])
    assert levels["out"].effective is AccessLevel.personal and levels["out"].inherited_from == "mid"
    assert levels["safe"].effective is AccessLevel.open and levels["safe"].released_by
    assert levels["signed"].effective is AccessLevel.restricted
    assert [n for n, lv in levels.items() if lv.understated] == ["mid", "out", "signed"]


@pytest.fixture
def closed_input(built_ws: Workspace, tmp_path: Path) -> Workspace:
    """A copy of the built workspace whose `population` pack indicator is declared personal."""
    root = tmp_path / "ws"
    shutil.copytree(built_ws.root, root, ignore=shutil.ignore_patterns("*.wal"))
    return Workspace(root)


def _values(app: object, indicator: str) -> int:
    async def get() -> int:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return (await c.get(f"/api/indicators/{indicator}/values")).status_code

    return asyncio.run(get())


def test_the_api_enforces_the_effective_level(closed_input: Workspace) -> None:
    app = create_app(closed_input.root, extensions=False)
    assert _values(app, DERIVED) == 200
    app2 = create_app(closed_input.root, extensions=False)
    pub = app2.state.territoria.source.get()
    pub.datasets[SOURCE] = replace(pub.datasets[SOURCE], access=AccessLevel.personal)
    assert _values(app2, DERIVED) == 401  # open by declaration, personal by lineage
    policies = closed_input.root / "policies.yaml"
    data = yaml.safe_load(policies.read_text(encoding="utf-8"))
    data["declassify"] = [{"dataset": DERIVED, "level": "open", "by": "J. Martin, DPO", "why": "densities only"}]
    policies.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _values(app2, DERIVED) == 200  # re-read without restart


def test_config_validate_reports_a_level_below_the_inputs(closed_input: Workspace) -> None:
    assert not [p for p in check_workspace(closed_input.root) if p.slug == "access-below-inputs"]
    plan = build_plan(closed_input)
    plan.datasets["contours-communes"] = replace(plan.datasets["contours-communes"], access=AccessLevel.restricted)
    problems = check_levels(plan, closed_input.root / "policies.yaml")
    assert sorted(p.where for p in problems) == [DERIVED, "surface_communes"], problems
    assert "declassify" in (problems[0].hint or "")
