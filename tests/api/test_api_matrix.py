"""Role × access level × route, generated from the application's route table.

Every route the app serves (core routers, SensorThings, footprint, dashboard) must declare what
it serves (``territoria.core.serves``); a new route without a rule fails here, and so does a
route whose rule lets a role read a level it may not.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from api_support import PERSONAL, RESTRICTED, auth
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

from territoria.api import create_app
from territoria.core.serves import declared
from territoria.core.vocab import AccessLevel
from territoria.workspace import Workspace

ROLES = [None, "public", "agent", "elu", "partner", "contractor", "admin"]
LEVELS = {"open": "communes", "restricted": RESTRICTED, "personal": PERSONAL}
#: default policies; the partner's convention covers the restricted dataset and nothing else
READERS = {"open": set(ROLES), "restricted": {"agent", "elu", "admin"}, "personal": {"admin"}}
CONVENTION = {("partner", RESTRICTED)}
#: the indicator each app sets to the level under test
INDICATOR = "population"
#: mounts that serve files of the package, no data (the dashboard's and Swagger UI's scripts and styles)
ASSET_MOUNTS = {"/static", "/docs/assets"}
#: requests the SensorThings route is tried with: entities, navigation, $expand, $filter, aggregates
STA_PATHS = [
    "Things",
    "Observations",
    "Datastreams?$expand=Observations",
    "Things?$filter=Datastreams/Observations/result gt 0",
    "HourlyAggregates",
    "DailyAggregates",
]


def _allowed(role: str | None, level: str, dataset: str) -> bool:
    return role in READERS[level] or (role, dataset) in CONVENTION


def _app(ws: Workspace, level: str) -> FastAPI:
    app = create_app(ws.root)
    pub = app.state.territoria.source.get()
    pub.datasets[INDICATOR] = replace(pub.datasets[INDICATOR], access=AccessLevel(level))
    return app


@pytest.fixture(scope="module")
def apps(built_ws: Workspace) -> dict[str, FastAPI]:
    return {level: _app(built_ws, level) for level in LEVELS}


def _route_table(app: FastAPI) -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route; FastAPI >= 0.16x keeps included routers as branches."""
    for route in app.routes:
        branches = getattr(route, "effective_route_contexts", None)
        if branches is None:
            yield getattr(route, "path", ""), route
            continue
        for ctx in branches():
            yield ctx.path or getattr(ctx.original_route, "path", ""), ctx.original_route


def _rules(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, route in _route_table(app):
        if isinstance(route, Mount):
            assert path in ASSET_MOUNTS, f"mount {path} serves something no rule covers"
            continue
        if not isinstance(route, APIRoute):
            continue  # the OpenAPI document and docs pages: FastAPI's own
        rule = declared(route.openapi_extra)
        assert rule is not None, f"{path} declares no access rule (territoria.core.serves)"
        found.append((path, rule))
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        assert name in values, f"add a sample value for the path parameter {name!r} of {path}"
        return values[name]

    return re.sub(r"\{([^}]+)\}", one, path)


def _samples(app: FastAPI, level: str) -> dict[str, str]:
    dataset = LEVELS[level]
    run_id = app.state.territoria.source.get().run_id
    return {
        "dataset_id": dataset,
        "collection_id": dataset,
        "name": dataset,
        "indicator_id": INDICATOR,
        "feature_id": "1",
        "run_id": run_id,
    }


def _requests(app: FastAPI, level: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(route path, url, rule, dataset whose level decides) for every route of the app."""
    out = []
    for path, rule in _rules(app):
        if rule["kind"] == "sensors":
            # no catalog entry of this workspace releases the sensor store: it reads as restricted
            for sta in STA_PATHS:
                out.append((path, _fill(path, {"path": sta}), rule, "sensors"))
            continue
        samples = _samples(app, level)
        dataset = INDICATOR if rule.get("param") == "indicator_id" else LEVELS[level]
        out.append((path, _fill(path, samples), rule, dataset))
    return out


def _expected(rule: dict[str, Any], role: str | None, level: str, dataset: str) -> bool:
    kind = rule["kind"]
    if kind == "public":
        return True
    if kind == "admin":
        return role == "admin"
    if kind == "sensors":
        return _allowed(role, "restricted", dataset)
    if rule.get("raw_input") and role is None and level != "open":
        return False  # raw input (quarantined rows) of a closed dataset: never anonymous
    return _allowed(role, level, dataset)


async def _get(app: FastAPI, url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(url, params={"purpose": "matrice des droits"}, headers=headers)


def test_every_route_declares_what_it_serves(apps: dict[str, FastAPI]) -> None:
    kinds = {rule["kind"] for _, rule in _rules(apps["open"])}
    paths = {path for path, _ in _rules(apps["open"])}
    assert {"public", "dataset", "sensors"} <= kinds
    assert {"/sta/v1.1/{path:path}", "/api/footprint/datasets/{name}", "/api/runs/{run_id}", "/"} <= paths
    assert "/api/datasets/{dataset_id}/quarantine" in paths


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("role", ROLES)
def test_role_level_route_matrix(
    apps: dict[str, FastAPI], tokens: dict[str, str], role: str | None, level: str
) -> None:
    app = apps[level]
    headers = auth(tokens[role] if role else None)
    for path, url, rule, dataset in _requests(app, level):
        r = asyncio.run(_get(app, url, headers))
        if _expected(rule, role, level, dataset):
            assert r.status_code == 200, (path, url, r.status_code, r.text[:300])
        else:
            assert r.status_code == (401 if role is None else 403), (path, url, r.status_code, r.text[:300])
            assert b"Jeanne" not in r.content and b"1200" not in r.content
