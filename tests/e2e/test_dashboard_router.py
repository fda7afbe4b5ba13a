"""The dashboard router as the API mounts it: page shell, static files, entry point, offline assets."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
from e2e_support import Server

from territoria.web import STATIC_DIR, router
from territoria.web.app import render_index
from territoria.workspace import Workspace, init_workspace

APP_FILES = [p for p in STATIC_DIR.rglob("*") if p.is_file() and "vendor" not in p.parts]


@pytest.fixture
def client(server: Server) -> httpx.Client:
    return server.client


def test_registered_as_an_api_router() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="territoria.routers")}
    assert found.get("dashboard") == "territoria.web:router"


def test_page_shell(client: httpx.Client, server: Server) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "<title>Territoire d’essai — tableau de bord territoria</title>" in response.text
    assert '<html lang="fr">' in response.text
    assert client.head("/").status_code == 200


def test_page_shell_escapes_the_territory_name(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238"], name="Métropole <b>&</b>")
    shell = render_index(ws)
    assert "<title>Métropole &lt;b&gt;&amp;&lt;/b&gt; — tableau de bord territoria</title>" in shell
    assert "<b>&</b>" not in shell and "{{territory}}" not in shell


def test_every_asset_of_the_shell_is_served(client: httpx.Client) -> None:
    shell = client.get("/").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', shell)
    assert "/static/vendor/maplibre-gl.js" in assets and "/static/js/app.js" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers.get("etag"), asset
        assert client.get(asset, headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_module_imports_resolve() -> None:
    # A broken relative import only shows in a browser: check every one against the files.
    for path in STATIC_DIR.joinpath("js").rglob("*.js"):
        for target in re.findall(r'^import .* from "(\.{1,2}/[^"]+)";', path.read_text(encoding="utf-8"), re.M):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports missing {target}"


def test_outside_paths_are_refused_with_the_error_envelope(client: httpx.Client) -> None:
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/nope.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["status"] == 404


def test_dashboard_is_not_part_of_the_openapi_document(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(p.startswith("/static") for p in paths)


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: str(p.relative_to(STATIC_DIR)))
def test_app_files_request_nothing_outside(path: Path) -> None:
    # Offline by construction: no CDN, tiles, fonts or glyphs (source URLs from the API are data;
    # XML namespace names are identifiers, never fetched).
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://(?!www\.w3\.org/)[\w.-]+", text), path


def test_vendored_maplibre_matches_its_version_file() -> None:
    vendor = STATIC_DIR / "vendor"
    version = re.search(r"maplibre-gl (\S+)", (vendor / "VERSION").read_text()).group(1)  # type: ignore[union-attr]
    assert f"/v{version}/" in (vendor / "maplibre-gl.js").read_text(encoding="utf-8")[:400]
    assert (vendor / "LICENSE-maplibre-gl.txt").read_text().startswith("Copyright (c) 2023, MapLibre contributors")
    assert "sourceMappingURL" not in (vendor / "maplibre-gl.js").read_text(encoding="utf-8")[-300:]


def test_router_builds_for_any_workspace(small_ws: Workspace) -> None:
    api_router = router(small_ws)
    paths = {getattr(r, "path", None) for r in api_router.routes}
    assert {"/", "/static"} <= paths
