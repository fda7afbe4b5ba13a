"""Quarantined rows in the publication and the API: line, raw values and reasons, page by page,
read at the dataset's level and never by an anonymous caller when the dataset is not open."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import auth
from fastapi import FastAPI

from territoria.api import create_app
from territoria.api.deps import PolicyFile
from territoria.core.yamlio import write_yaml
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.pipelines import run_pipeline
from territoria.testing.entries import catalog_entry, file_source
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

OPEN, CLOSED = "releves-compteurs", "releves-prives"
SCHEMA = {
    "fields": [
        {"name": "code", "title": "Code commune", "type": "string", "constraints": {"pattern": "[0-9]{5}"}},
        {"name": "valeur", "title": "Valeur", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "nom", "title": "Relevé par", "type": "string"},
    ]
}
ROWS = (
    "code;valeur;nom\n35238;12;Agent A\n3523X;5;Agent B\n35047;abc;Agent C\n35206;-4;Jeanne Martin\n35238;7;Agent D\n"
)


def _source(identifier: str, access: str) -> dict[str, Any]:
    source = file_source("releves.csv", delimiter=";")
    return catalog_entry(identifier, source, title=f"Relevés ({access})", access=access, publish=True, schema=SCHEMA)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("quarantine") / "ws", communes=["35238", "35047"], name="Essai")
    (ws.root / "data" / "releves.csv").write_text(ROWS, encoding="utf-8")
    write_yaml(ws.sources_dir / f"{OPEN}.yaml", _source(OPEN, "open"))
    write_yaml(ws.sources_dir / f"{CLOSED}.yaml", _source(CLOSED, "restricted"))
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert not summary.failed, [r.error for r in summary.failed]
    return Workspace(ws.root)


@pytest.fixture(scope="module")
def app(ws: Workspace) -> FastAPI:
    return create_app(ws.root, extensions=False)


def _get(app: FastAPI, url: str, token: str | None = None, **params: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get(url, params=params, headers=auth(token))

    return asyncio.run(go())


def test_rows_with_line_raw_values_and_reasons(app: FastAPI) -> None:
    body = _get(app, f"/api/datasets/{OPEN}/quarantine").json()
    assert body["total"] == 3
    by_line = {r["line"]: r for r in body["rows"]}
    # line 1 is the header: the second data row is line 3 of the file
    assert sorted(by_line) == [3, 4, 5]
    assert by_line[3]["values"] == {"code": "3523X", "valeur": "5", "nom": "Agent B"}
    assert by_line[3]["reasons"] == ["code: pattern"]
    assert by_line[4]["reasons"] == ["valeur: type-error (expected integer)"]
    assert by_line[5]["reasons"] == ["valeur: minimum 0.0"]
    catalog = _get(app, f"/api/catalog/{OPEN}").json()
    assert catalog["quarantined"] == 3 and catalog["links"]["quarantine"] == f"/api/datasets/{OPEN}/quarantine"


def test_paginated(app: FastAPI) -> None:
    page = _get(app, f"/api/datasets/{OPEN}/quarantine", limit=2, offset=1).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [r["line"] for r in page["rows"]] == [4, 5]
    assert _get(app, f"/api/datasets/{OPEN}/quarantine", limit=0).status_code == 422
    clean = _get(app, "/api/datasets/communes/quarantine").json()  # a source with nothing set aside
    assert (clean["total"], clean["rows"]) == (0, [])
    missing = _get(app, "/api/datasets/releves-compteur/quarantine")
    assert missing.status_code == 404 and OPEN in missing.json()["error"]["hint"]


def test_closed_dataset_read_at_its_level(app: FastAPI, ws: Workspace) -> None:
    store = AccessStore(ws.private / ACCESS_DB)
    elu, public = (store.add(f"q {role}", role, None)[1] for role in ("elu", "public"))
    assert _get(app, f"/api/datasets/{CLOSED}/quarantine").status_code == 401
    refused = _get(app, f"/api/datasets/{CLOSED}/quarantine", public)
    assert refused.status_code == 403 and b"Jeanne" not in refused.content
    allowed = _get(app, f"/api/datasets/{CLOSED}/quarantine", elu, purpose="corriger la source")
    assert allowed.status_code == 200 and "Jeanne Martin" in allowed.text


def test_never_anonymous_for_closed_data_whatever_the_policies(ws: Workspace, tmp_path: Path) -> None:
    """Policies that let the public read restricted data open its rows, not its raw input."""
    policies = {**DEFAULT_POLICIES, "access": {**DEFAULT_POLICIES["access"], "restricted": ["public", "agent", "elu"]}}
    write_yaml(tmp_path / "policies.yaml", policies)
    app = create_app(ws.root, extensions=False)
    app.state.territoria.policies = PolicyFile(tmp_path / "policies.yaml")
    assert _get(app, f"/api/datasets/{CLOSED}/rows").status_code == 200
    r = _get(app, f"/api/datasets/{CLOSED}/quarantine")
    assert r.status_code == 401 and b"Jeanne" not in r.content
    assert r.json()["error"]["code"] == "unauthorized"
