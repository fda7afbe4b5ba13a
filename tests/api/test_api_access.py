"""Role × access level: who reads what, through every door that serves rows, and the audit log."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from api_support import PARTNER_ORG, PERSONAL, RESTRICTED, auth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.core.vocab import AccessLevel
from territoria.governance.access import ACCESS_DB, AccessPolicy, AccessStore, Principal, Role
from territoria.governance.audit import AuditLog
from territoria.workspace import Workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

ROLES = [None, "public", "agent", "elu", "partner", "contractor", "admin"]
LEVELS = {"open": "communes", "restricted": RESTRICTED, "personal": PERSONAL}
# Default policies, plus the convention that lets the partner (grdf) read the restricted dataset.
ALLOWED = {
    "open": set(ROLES),
    "restricted": {"agent", "elu", "admin", "partner"},
    "personal": {"admin"},
}


def _doors(dataset: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/api/datasets/{dataset}/rows", {}),
        (f"/api/datasets/{dataset}/export", {"format": "csv"}),
        (f"/ogc/collections/{dataset}/items", {}),
    ]


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("role", ROLES)
def test_role_by_access_level(client: httpx.Client, tokens: dict[str, str], role: str | None, level: str) -> None:
    dataset = LEVELS[level]
    headers = auth(tokens[role] if role else None)
    allowed = role in ALLOWED[level]
    params = {"purpose": "contrôle de la matrice des droits"}
    for path, extra in _doors(dataset):
        r = client.get(path, params={**params, **extra}, headers=headers)
        if allowed:
            assert r.status_code == 200, (path, r.text)
        else:
            assert r.status_code == (401 if role is None else 403), (path, r.status_code, r.text)
            # the OGC routes refuse in their standard's exception format (api/ogc_errors.py)
            assert set(r.json()) == ({"code", "description"} if path.startswith("/ogc/") else {"error"})
    page = client.get(f"/api/catalog/{dataset}", headers=headers).json()
    assert page["readable"] is allowed
    listed = {c["id"] for c in client.get("/ogc/collections", headers=headers).json()["collections"]}
    assert (dataset in listed) is allowed


def test_personal_data_needs_a_purpose(client: httpx.Client, tokens: dict[str, str]) -> None:
    r = client.get(f"/api/datasets/{PERSONAL}/rows", headers=auth(tokens["admin"]))
    assert r.status_code == 400 and "purpose" in r.json()["error"]["hint"]


def test_reads_of_restricted_data_are_audited(
    built_ws: Workspace, client: httpx.Client, tokens: dict[str, str]
) -> None:
    audit = AuditLog(AccessStore(built_ws.private / ACCESS_DB))
    before = len(audit.entries(10000))
    client.get(f"/api/datasets/{RESTRICTED}/rows", params={"purpose": "bilan énergie"}, headers=auth(tokens["elu"]))
    client.get(f"/api/datasets/{RESTRICTED}/rows", headers=auth(tokens["partner"]))
    client.get("/api/datasets/communes/rows", headers=auth(tokens["elu"]))  # open: not audited
    client.get(f"/api/datasets/{RESTRICTED}/rows", headers=auth(tokens["contractor"]))  # refused: logged as such
    entries = audit.entries(10000)
    assert len(entries) == before + 3
    denied, partner, elu = entries[0], entries[1], entries[2]
    assert (denied["who"], denied["action"], denied["dataset"]) == ("test contractor", "denied:rows", RESTRICTED)
    assert (elu["who"], elu["role"], elu["dataset"], elu["purpose"]) == ("test elu", "elu", RESTRICTED, "bilan énergie")
    assert (partner["organisation"], partner["access"]) == (PARTNER_ORG, "restricted")
    assert partner["purpose"] == "Suivi des consommations (convention test)"  # the convention's purpose
    assert elu["at"] and elu["action"] == "rows"


def test_revoked_and_forged_tokens(built_ws: Workspace, client: httpx.Client) -> None:
    store = AccessStore(built_ws.private / ACCESS_DB)
    token_id, token = store.add("temporary", "agent")
    assert client.get(f"/api/datasets/{RESTRICTED}/rows", headers=auth(token)).status_code == 200
    store.revoke(token_id)
    r = client.get(f"/api/datasets/{RESTRICTED}/rows", headers=auth(token))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get("/api/catalog", headers=auth(forged)).status_code == 401
    assert client.get("/api/catalog", headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_refused_token_is_logged_for_what_the_route_reads(built_ws: Workspace, client: httpx.Client) -> None:
    """The dataset a route reads is resolved from its path before the refusal is logged: its
    effective level, never the path as a dataset at the open level; no dataset where none is read."""
    store = AccessStore(built_ws.private / ACCESS_DB)
    token_id, token = store.add("ancien agent", "agent")
    store.revoke(token_id)
    audit = AuditLog(store)
    doors = [
        (f"/api/datasets/{RESTRICTED}/rows", RESTRICTED, "restricted"),
        (f"/ogc/collections/{PERSONAL}/items", PERSONAL, "personal"),
        ("/api/datasets/communes/rows", "communes", "open"),
        ("/api/catalog", None, "open"),  # public metadata: no dataset (NULL, not an empty name)
        ("/api/datasets/nulle-part/rows", None, "open"),  # names no dataset: none is invented
    ]
    for path, _, _ in doors:
        before = len(audit.entries(10000))
        assert client.get(path, headers=auth(token)).status_code == 401, path
        entries = audit.entries(10000)
        assert len(entries) == before + 1, path  # one entry per refused request
    logged = audit.entries(len(doors))[::-1]
    assert [(e["dataset"], e["access"]) for e in logged] == [(d, level) for _, d, level in doors]
    assert [e["detail"]["path"] for e in logged] == [p for p, _, _ in doors]
    assert [e["detail"]["dataset_known"] for e in logged] == [True, True, True, False, False]
    for e in logged:
        assert (e["action"], e["detail"]["status"], e["token_id"], e["role"]) == (
            "denied:token",
            401,
            token_id,
            "agent",
        )
        assert token.split("_", 2)[2] not in str(e)
    assert audit.verify().ok


def test_tokens_are_hashed_at_rest(built_ws: Workspace, tokens: dict[str, str]) -> None:
    raw = (built_ws.private / ACCESS_DB).read_bytes()
    for token in tokens.values():
        assert token.split("_", 2)[2].encode() not in raw


def test_convention_expires() -> None:
    policy = AccessPolicy(
        {**DEFAULT_POLICIES, "conventions": [{"partner": "x", "datasets": ["d"], "until": "2026-01-31"}]}
    )
    who = Principal("x", Role.partner, "x", "t")
    assert policy.decide(who, "d", AccessLevel.restricted, today=date(2026, 1, 31)).allowed
    assert not policy.decide(who, "d", AccessLevel.restricted, today=date(2026, 2, 1)).allowed
    assert not policy.decide(Principal("y", Role.partner, "y", "t"), "d", AccessLevel.restricted).allowed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    role=st.sampled_from([r.value for r in Role]),
    organisation=st.one_of(st.none(), st.just(PARTNER_ORG), st.text(min_size=1, max_size=12)),
    dataset=st.sampled_from([RESTRICTED, PERSONAL]),
    door=st.integers(min_value=0, max_value=2),
)
def test_restricted_data_never_reaches_a_role_not_allowed(
    built_ws: Workspace, client: httpx.Client, role: str, organisation: str | None, dataset: str, door: int
) -> None:
    store = AccessStore(built_ws.private / ACCESS_DB)
    org = organisation if role in ("partner", "contractor") and organisation else None
    if role in ("partner", "contractor") and org is None:
        org = "sans-convention"
    _, token = store.add("hypothesis", role, org)
    level = AccessLevel.restricted if dataset == RESTRICTED else AccessLevel.personal
    may = role in {r for r in DEFAULT_POLICIES["access"][level.value]} or (
        dataset == RESTRICTED and org == PARTNER_ORG and role in ("partner", "contractor")
    )
    path, extra = _doors(dataset)[door]
    r = client.get(path, params={**extra, "purpose": "test"}, headers=auth(token))
    if may:
        assert r.status_code == 200
    else:
        assert r.status_code == 403
        assert b"Jeanne" not in r.content and b"1200" not in r.content


def test_run_reports_of_non_open_steps_are_hidden(client: httpx.Client, tokens: dict[str, str]) -> None:
    run_id = client.get("/api/runs").json()["runs"][-1]["run_id"]  # the first run ingested everything

    def report(headers: dict[str, str]) -> dict[str, object]:
        steps = client.get(f"/api/runs/{run_id}", headers=headers).json()["steps"]
        found: dict[str, object] = next(s for s in steps if s["step"] == f"ingest:{RESTRICTED}")["report"]
        return found

    assert report({}) == {}
    assert report(auth(tokens["agent"]))["rows_in"] == 3


def test_indicator_values_follow_the_indicator_access(built_ws: Workspace, tokens: dict[str, str]) -> None:
    """An indicator declared restricted (``access:`` in its pack) is guarded like a dataset."""
    import asyncio
    from dataclasses import replace

    from territoria.api import create_app

    app = create_app(built_ws.root, extensions=False)
    pub = app.state.territoria.source.get()
    pub.datasets["population"] = replace(pub.datasets["population"], access=AccessLevel.restricted)

    async def get(headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/api/indicators/population/values", params={"purpose": "p"}, headers=headers)

    assert asyncio.run(get({})).status_code == 401
    assert asyncio.run(get(auth(tokens["contractor"]))).status_code == 403
    assert asyncio.run(get(auth(tokens["elu"]))).status_code == 200
    last = AuditLog(AccessStore(built_ws.private / ACCESS_DB)).entries(1)[0]
    assert (last["dataset"], last["action"], last["role"]) == ("population", "indicator-values", "elu")
