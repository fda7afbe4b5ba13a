"""Non-administrators never read error texts, cell values or secrecy labels; policies are live."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
import yaml
from api_support import PARTNER_ORG, PERSONAL, RESTRICTED, auth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.api import create_app
from territoria.api.scrub import HIDDEN_ERROR
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import Workspace

LEAK = "Could not convert string 'Jean Dupont 35001 IBAN FR76 3000' to INT32"


@pytest.fixture
def ws(built_ws: Workspace, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(built_ws.root, root, ignore=shutil.ignore_patterns("*.wal"))
    return Workspace(root)


def _get(app: object, url: str, headers: dict[str, str]) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get(url, headers=headers)

    return asyncio.run(get())


def test_run_errors_and_reports_are_scrubbed(ws: Workspace) -> None:
    store = AccessStore(ws.private / ACCESS_DB)
    agent, admin = store.add("a", "agent")[1], store.add("b", "admin")[1]
    app = create_app(ws.root, extensions=False)
    pub = app.state.territoria.source.get()
    run_id = pub.run_id
    report = '{"rows_in": 3, "primary_cells": 2, "rule": "min-points", "cells": [{"code": "35238", "value": 7}]}'
    pub.con.execute("UPDATE meta.runs SET error = ?", [LEAK])
    pub.con.execute("UPDATE meta.step_runs SET error = ?, report = ?::JSON", [LEAK, report])
    for headers in ({}, auth(agent)):
        listed = _get(app, "/api/runs", headers)
        one = _get(app, f"/api/runs/{run_id}", headers)
        page = _get(app, "/api/catalog/communes", headers)
        for r in (listed, one, page):
            # the report's cell code, as a JSON string: a run's cpu_s (0.035238...) may hold its digits
            assert r.status_code == 200 and "Jean" not in r.text and '"35238"' not in r.text, r.text[:300]
            assert "primary" not in r.text and "min-points" not in r.text
        assert listed.json()["runs"][0]["error"] == HIDDEN_ERROR
    steps = _get(app, f"/api/runs/{run_id}", auth(agent)).json()["steps"]
    assert steps and 3 in {s["report"].get("rows_in") for s in steps}  # counters stay
    full = _get(app, f"/api/runs/{run_id}", auth(admin))
    assert "Jean Dupont" in full.text and "min-points" in full.text


def test_a_removed_convention_stops_access_without_restart(ws: Workspace) -> None:
    partner = AccessStore(ws.private / ACCESS_DB).add("p", "partner", PARTNER_ORG)[1]
    app = create_app(ws.root, extensions=False)
    url = f"/api/datasets/{RESTRICTED}/rows"
    assert _get(app, url, auth(partner)).status_code == 200
    policies = ws.root / "policies.yaml"
    data = yaml.safe_load(policies.read_text(encoding="utf-8"))
    data["conventions"] = []
    policies.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _get(app, url, auth(partner)).status_code == 403
    policies.write_text("access: [not, a, mapping\n", encoding="utf-8")
    broken = _get(app, url, auth(partner))
    assert broken.status_code == 503 and "policies.yaml" in broken.json()["error"]["message"]


def _hashes(node: dict[str, object]) -> dict[str, object]:
    found = {str(node["name"]): node["hash"]}
    for child in node["children"]:  # type: ignore[attr-defined]
        found.update(_hashes(child))
    return found


def test_lineage_hides_the_content_hashes_of_closed_datasets(client: httpx.Client, tokens: dict[str, str]) -> None:
    """A content hash fingerprints a table's rows: of a restricted dataset, only an administrator sees it."""
    public = client.get(f"/api/catalog/{RESTRICTED}").json()["lineage"]
    admin = client.get(f"/api/catalog/{RESTRICTED}", headers=auth(tokens["admin"])).json()["lineage"]
    seen, full = _hashes(public), _hashes(admin)
    assert admin["hash"] and sum(h is not None for h in full.values()) >= 2  # the dataset and its landed payload
    assert public["name"] == RESTRICTED and public["hash"] is None
    assert all(v is None for v in seen.values()), seen  # its own hash, its inputs' and its landed payload's
    assert not any(str(h) in str(public) for h in full.values() if h)
    opened = client.get("/api/indicators/densite_population/lineage").json()  # open data keeps its hashes
    assert opened["hash"]


ROLES = ("anonymous", "public", "agent", "elu", "partner", "contractor", "admin")


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from(ROLES))
def test_counts_of_unreadable_datasets_are_not_served(client: httpx.Client, tokens: dict[str, str], role: str) -> None:
    """The number of rows of a dataset is data (of a personal register, the number of persons in
    it): the catalog, a dataset's page, its last runs and a run's steps give it only to those who
    may read the rows; to everyone else it is null. Readers keep it."""
    headers = auth(tokens.get(role))
    listed = client.get("/api/catalog", headers=headers).json()["datasets"]
    closed = [d for d in listed if not d["readable"]]
    opened = [d for d in listed if d["readable"] and d["published"]]
    assert opened and all(d["rows"] is not None for d in opened)
    assert all(d["rows"] is None and d["quarantined"] is None for d in closed), closed
    if role in ("anonymous", "public"):
        assert {PERSONAL, RESTRICTED} <= {d["id"] for d in closed}
    for d in closed:
        page = client.get(f"/api/catalog/{d['id']}", headers=headers).json()
        assert page["rows"] is None and "quarantine" not in page["links"]
        assert all(r["rows_in"] is None and r["rows_out"] is None for r in page["last_runs"])
    run_id = client.get("/api/runs", headers=headers).json()["runs"][0]["run_id"]
    steps = client.get(f"/api/runs/{run_id}", headers=headers).json()["steps"]
    names = {d["id"] for d in closed}
    for step in steps:
        if step["step"].split(":", 1)[-1] in names:
            assert all(step[k] is None for k in ("rows_in", "rows_out", "bytes_written")), step
