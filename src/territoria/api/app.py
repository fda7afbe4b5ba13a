"""``create_app(workspace_root)``: the FastAPI application ``territoria serve`` runs.

Extension routers (SensorThings, footprint, the dashboard...) come from the plugin registry's
``territoria.routers`` group: each plugin is a function called as
``function(workspace) -> fastapi.APIRouter``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI

from territoria import __version__
from territoria.api import docs, errors
from territoria.api.cache import PublishedResponseCache
from territoria.api.deps import ApiState, guard
from territoria.api.routers import catalog, datasets, dcat, geo, indicators, ogc, quarantine, runs
from territoria.core.errors import ConfigError
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


def create_app(workspace_root: Path, *, extensions: bool = True) -> FastAPI:
    ws = Workspace(Path(workspace_root))
    store = AccessStore(ws.private / ACCESS_DB)
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
    )
    app.state.territoria = ApiState.of(ws, store)
    app.add_middleware(PublishedResponseCache, state=app.state.territoria)
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
