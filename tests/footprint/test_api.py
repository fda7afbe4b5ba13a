"""/api/footprint through the territoria.routers entry point, reading the store read-only."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request

from territoria.core.serves import READABLE
from territoria.workspace import Workspace


def app_for(ws: Workspace, *, reads_all: bool = True, **options: float) -> FastAPI:
    """The router alone; the API's access check, which says what the caller reads, is played by a
    dependency that lets it read every dataset (``reads_all``) or none."""
    (ep,) = [e for e in entry_points(group="territoria.routers") if e.name == "footprint"]

    def access(request: Request) -> None:
        if reads_all:
            request.scope[READABLE] = lambda _scope, _name: True

    app = FastAPI(dependencies=[Depends(access)])
    app.include_router(ep.load()(ws, **options))
    return app


def get(app: FastAPI, *paths: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [await client.get(p) for p in paths]

    return asyncio.run(go())


def test_footprint_api(ran_ws: Workspace) -> None:
    app = app_for(ran_ws)
    summary, dataset, missing, runs, packs, top, trend, datasets = get(
        app,
        "/api/footprint",
        "/api/footprint/datasets/densite_population",
        "/api/footprint/datasets/nope",
        "/api/footprint/runs?limit=1",
        "/api/footprint/packs",
        "/api/footprint/top?n=2",
        "/api/footprint/trend",
        "/api/footprint/datasets",
    )
    assert summary.status_code == 200
    body: dict[str, Any] = summary.json()
    assert body["stale"] is False and body["grid"].startswith("FR")
    assert len(body["data"]["runs"]) == 2 and body["data"]["storage"]["landing_bytes"] > 0
    assert dataset.status_code == 200
    cost = dataset.json()["data"]
    assert cost["dataset"] == "densite_population" and cost["monthly_wh"]["value"] > 0
    assert missing.status_code == 404
    assert len(runs.json()["data"]) == 1
    assert packs.json()["data"][0]["name"] == "territory"
    assert len(top.json()["data"]) == 2
    assert trend.json()["data"][0]["runs"] == 2
    assert len(datasets.json()["data"]) >= 10


def test_without_the_access_check_no_dataset_cost_is_listed(ran_ws: Workspace) -> None:
    (datasets,) = get(app_for(ran_ws, reads_all=False), "/api/footprint/datasets")
    assert datasets.status_code == 200 and datasets.json()["data"] == []


def test_serves_the_last_report_while_a_run_holds_the_store(ran_ws: Workspace) -> None:
    app = app_for(ran_ws, cache_seconds=0)
    (first,) = get(app, "/api/footprint/runs")
    assert first.status_code == 200
    # a run holds the store for writing; the router never waits for it
    with ran_ws.engine():
        (busy,) = get(app, "/api/footprint/runs")
    assert busy.status_code == 200 and busy.json()["stale"] is True
    assert busy.json()["data"] == first.json()["data"]


def test_busy_store_before_any_report_is_503(ran_ws: Workspace) -> None:
    app = app_for(ran_ws)
    with ran_ws.engine():
        (busy,) = get(app, "/api/footprint")
    assert busy.status_code == 503 and "retry" in busy.json()["detail"]
