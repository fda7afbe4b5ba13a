"""Access levels flow through lineage: the API enforces the effective level, `config validate` reports it."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.api import create_app
from territoria.core.vocab import AccessLevel
from territoria.governance.levels import RANK, Node, effective_levels, release_rule
from territoria.pipelines import build_plan
from territoria.pipelines.config_check import check_levels, check_workspace
from territoria.workspace import Workspace
from territoria.workspace.policies import Declassification

DERIVED = "densite_population"  # computed from `communes`, itself from the source below
SOURCE = "population-communes"
#: the columns every published indicator table has besides its SQL's, and its quality columns
INDICATOR_COLUMNS = ["indicator", "version", "unit", "masked_share", "estimated_share", "completeness"]


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


def _release_policies(root: Path) -> None:
    """Two workspace rule sets: one that only nulls flagged cells (as ``energy_derived`` and
    ``filosofi_derived`` do), one that suppresses cells itself."""
    policies = root / "policies.yaml"
    data = yaml.safe_load(policies.read_text(encoding="utf-8"))
    data["secrecy"] = {
        "flags_only": {"measures": ["value"], "rules": []},
        "suppresses": {
            "measures": ["value"],
            "rules": [{"id": "three", "kind": "min_count", "column": "value", "threshold": 3}],
            # every other column of the indicator's table: vouched for, as released (see test_api_release_columns)
            "verbatim": [*INDICATOR_COLUMNS, "mesh", "code", "libelle", "period"],
        },
    }
    policies.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_rule_set_that_suppresses_nothing_releases_nothing(closed_input: Workspace) -> None:
    """A derived rule set (no rules, no secondary suppression) protects one input's secret flags:
    it must not release another input's restricted values (the heat-vulnerability index named
    `filosofi_derived` and served the restricted sensors' readings to anonymous callers)."""
    _release_policies(closed_input.root)
    for ruleset, expected in (("flags_only", 401), ("suppresses", 200), ("no_such_ruleset", 401)):
        app = create_app(closed_input.root, extensions=False)
        pub = app.state.territoria.source.get()
        pub.datasets[SOURCE] = replace(pub.datasets[SOURCE], access=AccessLevel.restricted)
        derived = pub.datasets[DERIVED]
        doc = {**derived.doc, "secrecy": f"statistical.{ruleset}"}
        pub.datasets[DERIVED] = replace(derived, doc=doc)
        assert _values(app, DERIVED) == expected, ruleset


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(AccessLevel)), st.sampled_from([None, "statistical.energy_derived"])),
        min_size=1,
        max_size=6,
    )
)
def test_a_chain_of_derived_rule_sets_keeps_the_strictest_input(chain: list[tuple[AccessLevel, str | None]]) -> None:
    """Whatever the chain of datasets named with rules-less rule sets, none is below its inputs."""
    nodes = {
        f"d{i}": Node(level, (f"d{i - 1}",) if i else (), release_rule(secrecy))
        for i, (level, secrecy) in enumerate(chain)
    }
    levels = effective_levels(nodes)
    for i in range(1, len(chain)):
        assert RANK[levels[f"d{i}"].effective] >= RANK[levels[f"d{i - 1}"].effective]


def test_which_rule_sets_release() -> None:
    assert release_rule(None) is None
    assert release_rule("statistical.energy_derived") is None
    assert release_rule("statistical.filosofi_derived") is None
    assert release_rule("statistical.energy") == "statistical.energy"
    assert release_rule("statistical.filosofi") == "statistical.filosofi"
    assert release_rule("statistical.nope") is None  # unreadable: releases nothing
    assert release_rule("other_guard.x") == "other_guard.x"  # a third-party guard is trusted


def test_listings_show_the_effective_level(closed_input: Workspace) -> None:
    """The catalog search, the indicator definitions and the DCAT feed say the level the API
    enforces (as the dataset's own page does): `open` on a dataset refused to the public misleads."""
    app = create_app(closed_input.root, extensions=False)
    pub = app.state.territoria.source.get()
    pub.datasets[SOURCE] = replace(pub.datasets[SOURCE], access=AccessLevel.restricted)

    async def get() -> tuple[dict[str, Any], ...]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            listed = (await c.get("/api/catalog")).json()
            opened = (await c.get("/api/catalog", params={"access": "open"})).json()
            feed = (await c.get("/api/dcat.jsonld")).json()
            return listed, opened, (await c.get(f"/api/indicators/{DERIVED}")).json(), feed

    listed, opened, indicator, feed = asyncio.run(get())
    rights = {n["dct:identifier"]: n["dct:accessRights"]["@id"].rsplit("/", 1)[1] for n in feed["dcat:dataset"]}
    assert rights[DERIVED] == "RESTRICTED" and rights[SOURCE] == "RESTRICTED"  # harvesters are not told it is public
    assert rights["contours-communes"] == "PUBLIC"
    levels = {d["id"]: d["access"] for d in listed["datasets"]}
    assert levels[DERIVED] == "restricted" and levels[SOURCE] == "restricted"
    assert DERIVED not in {d["id"] for d in opened["datasets"]}
    assert indicator["access"] == "restricted" and indicator["readable"] is False
    assert indicator["periods"] == []  # read from the values: not told to who may not read them


def test_the_dcat_file_states_the_effective_access_rights(closed_input: Workspace) -> None:
    """`territoria catalog dcat` (the file a national catalogue harvests) says what the API
    enforces: a dataset made from a restricted source is not announced public."""
    from typer.testing import CliRunner

    from territoria.cli.main import app

    entry = closed_input.sources_dir / f"{SOURCE}.yaml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("access: open", "access: restricted"), "utf-8")
    result = CliRunner().invoke(app, ["catalog", "dcat", "-w", str(closed_input.root)])
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.stdout)["dcat:dataset"]
    rights = {n["dct:identifier"]: n["dct:accessRights"]["@id"].rsplit("/", 1)[1] for n in nodes}
    assert rights[SOURCE] == "RESTRICTED" and rights[DERIVED] == "RESTRICTED"
    assert rights["contours-communes"] == "PUBLIC"
