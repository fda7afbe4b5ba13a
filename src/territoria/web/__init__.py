"""The dashboard: a French single-page application served by ``territoria serve``.

The API mounts every router of the ``territoria.routers`` entry point group; this one serves the
page at ``/`` and its static files (HTML, CSS, JavaScript modules, vendored MapLibre GL JS) under
``/static/``. Nothing is built at install time and nothing is fetched from outside: the map uses an
inline style (a background and the communes' GeoJSON), so the dashboard works offline.
"""

from __future__ import annotations

from territoria.web.app import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
