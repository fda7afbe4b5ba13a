"""``/docs``: Swagger UI served from the package, so the API's documentation works offline.

The assets are the ``swagger-ui-dist`` files vendored under ``web/static/vendor/swagger-ui/``
(version and licence beside them), read as package data and mounted under ``/docs/assets``;
the page names no other host (the online spec validator badge is turned off).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from territoria.core.serves import serves

ASSETS = "/docs/assets"
ASSETS_DIR = Path(str(files("territoria"))) / "web" / "static" / "vendor" / "swagger-ui"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` for ``app`` (created with ``docs_url=None``) from the vendored assets."""
    app.mount(ASSETS, StaticFiles(directory=ASSETS_DIR), name="swagger-ui")

    @app.get("/docs", include_in_schema=False, openapi_extra=serves("public"))
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False, openapi_extra=serves("public"))
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
