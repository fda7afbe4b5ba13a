"""The dashboard's router: ``/`` renders the page shell, ``/static/`` serves its files."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from territoria.workspace import Workspace

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"


def render_index(workspace: Workspace) -> str:
    """The page shell with the territory's name, so the title is right before any script runs."""
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return template.replace("{{territory}}", html.escape(workspace.config.name))


def router(workspace: Workspace) -> APIRouter:
    page = render_index(workspace)
    api_router = APIRouter(include_in_schema=False)

    @api_router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def dashboard() -> HTMLResponse:
        # The shell is small and names the current asset files: never serve a stale one.
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    # StaticFiles answers conditional requests (ETag) and refuses paths leaving the directory.
    api_router.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    return api_router
