"""``create_app(workspace_root)``: the FastAPI application ``territoria serve`` runs.

Extension routers (SensorThings, footprint, the dashboard...) come from the plugin registry's
``territoria.routers`` group: each plugin is a function called as
``function(workspace) -> fastapi.APIRouter``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from territoria import __version__
from territoria.api import docs, errors
from territoria.api.cache import PublishedResponseCache
from territoria.api.deps import ApiState, guard
from territoria.api.ogc_features import collections
from territoria.api.origin import PublicOrigin
from territoria.api.routers import catalog, datasets, dcat, geo, indicators, ogc, quarantine, runs
from territoria.core.errors import ConfigError, TerritoriaError
from territoria.core.registry import registry
from territoria.core.serves import serves
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import Workspace

log = logging.getLogger("territoria.api")
ROUTER_GROUP = "territoria.routers"
CORE_ROUTERS = (
    indicators.router,
    geo.router,
    dcat.router,
    catalog.router,
    datasets.router,
    quarantine.router,
    runs.router,
    ogc.router,
)


def extension_routers(ws: Workspace) -> list[tuple[str, APIRouter]]:
    found = []
    for name in registry.names(ROUTER_GROUP):
        ep = registry.entry_point(ROUTER_GROUP, name)
        where = f" ({ep.value})" if ep is not None else ""
        try:
            router = registry.get(ROUTER_GROUP, name)(ws)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                f"the API extension {name!r}{where} cannot be loaded: {exc}",
                hint="reinstall the package that provides it, or uninstall it",
            ) from exc
        if not isinstance(router, APIRouter):
            raise ConfigError(f"the API extension {name!r}{where} did not return a fastapi.APIRouter")
        found.append((name, router))
    return found


def warm_up(state: ApiState) -> None:
    """Before a worker takes connections: load the current snapshot and, when it has OGC
    collections, DuckDB's spatial extension (loaded on first use otherwise: ~0.25 s on the first
    OGC request of each worker). Nothing is encoded: each collection is, when first read."""
    try:
        pub = state.source.get()
    except TerritoriaError as exc:  # nothing published yet: the first request says so
        log.info("no publication to load at start: %s", exc.message)
        return
    if collections(pub):
        pub.cursor().execute("SELECT ST_AsGeoJSON(ST_Point(0, 0))").fetchall()


def lifespan(state: ApiState) -> Any:
    @asynccontextmanager
    async def run(_: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(warm_up, state)
        except Exception as exc:  # the API still serves: the first request retries and says why
            log.warning("the publication was not loaded at start (%s): the first request will", exc)
        yield

    return run


def create_app(workspace_root: Path, *, extensions: bool = True) -> FastAPI:
    ws = Workspace(Path(workspace_root))
    store = AccessStore(ws.private / ACCESS_DB)
    state = ApiState.of(ws, store)
    app = FastAPI(
        title=f"territoria — {ws.config.name}",
        version=__version__,
        description=(
            "Published data of the territory: catalog, datasets, indicators, runs, OGC API Features and a "
            "DCAT-AP feed. Anonymous callers read open data; a token (`Authorization: Bearer ...`) carries a role."
        ),
        responses=errors.ERROR_RESPONSES,
        dependencies=[Depends(guard)],  # the one access check, on every route (see api/deps.py)
        docs_url=None,  # served by api/docs.py from vendored assets: works offline
        lifespan=lifespan(state),
    )
    app.state.territoria = state
    app.add_middleware(PublishedResponseCache, state=app.state.territoria)
    if ws.config.public_url:  # added last, so outermost: the cache keys on the public host
        app.add_middleware(PublicOrigin, url=ws.config.public_url)
    errors.install(app)
    docs.install(app)
    for router in CORE_ROUTERS:
        app.include_router(router)
    if extensions:
        for name, router in extension_routers(ws):
            log.info("mounting extension router %s", name)
            app.include_router(router)

    @app.get("/api", tags=["meta"], summary="What this API serves", openapi_extra=serves("public"))
    def api_root() -> dict[str, object]:
        return {
            "title": app.title,
            "version": __version__,
            "resources": [
                "/api/catalog",
                "/api/datasets/{id}/rows",
                "/api/indicators",
                "/api/geo/communes",
                "/api/runs",
                "/api/dcat.jsonld",
                "/ogc",
            ],
            "openapi": "/openapi.json",
        }

    return app


def app_from_env() -> FastAPI:
    """Factory for multi-worker uvicorn (``territoria serve --workers N``): workspace from the environment."""
    import os

    return create_app(Path(os.environ["TERRITORIA_WORKSPACE"]))
