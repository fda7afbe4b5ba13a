"""A secrecy rule set releases a dataset made from restricted inputs only for the columns it
vouches for: a suppressed cell nulls the rule set's measures, and every other column is published
as it is. A model that applies a rule set to one column and copies a restricted input's other
column beside it must not be served as open (it was: the copy was read anonymously)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from api_support import RESTRICTED, auth

from territoria.api import create_app
from territoria.pipelines import run_pipeline
from territoria.pipelines.config_check import check_workspace
from territoria.publication.snapshot import published_columns
from territoria.workspace import Workspace

DERIVED = "conso_diffusee"
# the rule set's measure is `value`; `brut` is the restricted source's consumption, copied as is
SQL = f"""SELECT code, annee AS period, 1 AS n, conso_mwh::DOUBLE AS value, conso_mwh AS brut
FROM ref('{RESTRICTED}')"""


def _with_model(ws: Workspace, ruleset: dict[str, Any]) -> Workspace:
    pack = ws.root / "packs" / "local"
    (pack / "models").mkdir(parents=True)
    (pack / "models" / f"{DERIVED}.sql").write_text(SQL, encoding="utf-8")
    model = {"name": DERIVED, "title": "Consommation diffusée", "sql": f"models/{DERIVED}.sql", "publish": True}
    definition = {"name": "local", "title": "Pack local", "models": [{**model, "secrecy": "statistical.trois"}]}
    (pack / "pack.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    rules = [{"id": "trois", "kind": "min_count", "column": "n", "threshold": 3}]
    body = {"rulesets": {"trois": {"measures": ["value"], "rules": rules, **ruleset}}}
    (pack / "secrecy.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    config = yaml.safe_load((ws.root / "territory.yaml").read_text(encoding="utf-8"))
    config["packs"]["local"] = {"path": "packs/local"}
    (ws.root / "territory.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    ws = Workspace(ws.root)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    return ws


def _get(ws: Workspace, *urls: str, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(ws.root, extensions=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
            return [await c.get(u) for u in urls]

    return asyncio.run(go())


@pytest.fixture
def copied(built_ws: Workspace, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(built_ws.root, root, ignore=shutil.ignore_patterns("*.wal"))
    return Workspace(root)


def test_a_column_copied_from_a_restricted_input_keeps_the_dataset_closed(
    copied: Workspace, tokens: dict[str, str]
) -> None:
    ws = _with_model(copied, {})
    anonymous, export, page = _get(
        ws, f"/api/datasets/{DERIVED}/rows", f"/api/datasets/{DERIVED}/export?format=csv", f"/api/catalog/{DERIVED}"
    )
    assert anonymous.status_code == 401, anonymous.text
    assert "1200.5" not in anonymous.text and export.status_code == 401
    assert page.json()["access"] == "restricted" and page.json()["readable"] is False
    (agent,) = _get(ws, f"/api/datasets/{DERIVED}/rows", headers=auth(tokens["agent"]))
    assert agent.status_code == 200 and {r["brut"] for r in agent.json()["rows"]} >= {"1200.5"}
    # `config validate` names the columns the rule set does not vouch for, and how to fix it
    (issue,) = [p for p in check_workspace(ws.root, published_columns(ws.private)) if p.where == DERIVED]
    assert issue.slug == "access-below-inputs" and "brut" in issue.message and "verbatim" in (issue.hint or "")
    assert "value" not in issue.message.split("published as they are")[-1]


def test_a_rule_set_vouching_for_every_column_releases_the_dataset(copied: Workspace) -> None:
    ws = _with_model(copied, {"verbatim": ["code", "period", "n", "brut"]})
    (rows,) = _get(ws, f"/api/datasets/{DERIVED}/rows")
    assert rows.status_code == 200, rows.text
    # every cell has fewer than 3 units: the value is suppressed, what the rule set vouched for is not
    assert {(r["value"], r["secret"]) for r in rows.json()["rows"]} == {(None, True)}
    assert not [p for p in check_workspace(ws.root, published_columns(ws.private)) if p.where == DERIVED]


def test_config_validate_checks_the_levels_without_a_readable_publication(copied: Workspace) -> None:
    assert published_columns(copied.private)  # the built workspace's
    current = (
        copied.private
        / "publication"
        / json.loads((copied.private / "publication" / "current.json").read_text(encoding="utf-8"))["run_id"]
    )
    (current / "catalog.json").write_text("{not json", encoding="utf-8")
    assert published_columns(copied.private) is None
    (current / "manifest.json").unlink()
    assert published_columns(copied.private) is None
    assert check_workspace(copied.root, published_columns(copied.private)) == []
