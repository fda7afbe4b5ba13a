"""The dashboard's router: ``/`` renders the page shell, ``/static/`` serves its files."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from territoria.core.serves import serves
from territoria.workspace import Workspace

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
# The page may load and call nothing but this server: no CDN, tiles or fonts even by mistake, and
# injected markup cannot run scripts. MapLibre starts its workers from blob: URLs; inline style
# attributes (legend swatches, map placement) are allowed, inline scripts are not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src blob:; child-src blob:; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)


def render_index(workspace: Workspace) -> str:
    """The page shell with the territory's name, so the title is right before any script runs."""
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return template.replace("{{territory}}", html.escape(workspace.config.name))


def router(workspace: Workspace) -> APIRouter:
    page = render_index(workspace)
    api_router = APIRouter(include_in_schema=False)

    # the shell holds no data: the page reads it from the API, whose routes check access
    @api_router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, openapi_extra=serves("public"))
    def dashboard() -> HTMLResponse:
        # The shell is small and names the current asset files: never serve a stale one.
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
        return HTMLResponse(page, headers=headers)

    # StaticFiles answers conditional requests (ETag) and refuses paths leaving the directory.
    api_router.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    return api_router
