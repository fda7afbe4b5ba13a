"""A restricted or personal step's figures shown to a caller who may read them (run pages, catalog
pages, footprint views) are written to the audit log, as a read of the dataset's rows is: they say
how much of it there is (a register's size, the rows a step read). Figures withheld from a caller
and figures of open datasets are not. Before, none of these views wrote anything."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_support import PERSONAL, RESTRICTED, auth

from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.workspace import Workspace


def figures_entries(audit: AuditLog, since: int, dataset: str | None = None) -> list[dict[str, Any]]:
    return [e for e in audit.entries(10000, dataset) if e["id"] > since and str(e["action"]).startswith("figures:")]


def last_id(audit: AuditLog) -> int:
    found = audit.entries(1)
    return int(found[0]["id"]) if found else 0


def views(client: httpx.Client) -> list[str]:
    run_id = client.get("/api/runs").json()["runs"][0]["run_id"]
    return [f"/api/runs/{run_id}", "/api/runs", f"/api/catalog/{RESTRICTED}", "/api/footprint/runs", "/api/footprint"]


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_a_readers_view_of_restricted_figures_is_audited(
    built_ws: Workspace, client: httpx.Client, tokens: dict[str, str], role: str
) -> None:
    audit = AuditLog(AccessStore(built_ws.private / ACCESS_DB))
    for path in views(client):
        before = last_id(audit)
        r = client.get(path, headers=auth(tokens[role]))
        assert r.status_code == 200, (path, r.text)
        found = figures_entries(audit, before, RESTRICTED)
        assert len(found) == 1, (path, found)
        entry = found[0]
        assert entry["role"] == role and entry["access"] == "restricted" and entry["action"].startswith("figures:")
        assert entry["detail"]["path"] == path
        assert not figures_entries(audit, before, "densite_population")  # open figures: no entry
    shown_personal = figures_entries(audit, 0, PERSONAL)
    # the agent never reads personal data: its figures are withheld from it, and not logged
    assert all(e["role"] == "admin" for e in shown_personal)


@pytest.mark.parametrize("role", [None, "public", "partner"])
def test_withheld_figures_are_not_audited(
    built_ws: Workspace, client: httpx.Client, tokens: dict[str, str], role: str | None
) -> None:
    audit = AuditLog(AccessStore(built_ws.private / ACCESS_DB))
    before = last_id(audit)
    for path in views(client):
        assert client.get(path, headers=auth(tokens[role] if role else None)).status_code == 200
    found = figures_entries(audit, before, PERSONAL)
    if role != "partner":  # the partner's convention grants it the restricted dataset
        found += figures_entries(audit, before, RESTRICTED)
    assert found == [], found
