"""Session fixtures: the built workspace, a token per role, the app and a live server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from api_support import PARTNER_ORG, LiveServer, build_workspace
from fastapi import FastAPI

from territoria.api import create_app
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import Workspace


@pytest.fixture(scope="session")
def built_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("api") / "ws")


@pytest.fixture(scope="session")
def tokens(built_ws: Workspace) -> dict[str, str]:
    """One token per role; the partner works for the convention's organisation, the contractor does not."""
    store = AccessStore(built_ws.private / ACCESS_DB)
    orgs = {"partner": PARTNER_ORG, "contractor": "acme"}
    return {
        role: store.add(f"test {role}", role, orgs.get(role))[1]
        for role in ("public", "agent", "elu", "partner", "contractor", "admin")
    }


@pytest.fixture(scope="session")
def app(built_ws: Workspace) -> FastAPI:
    return create_app(built_ws.root)


@pytest.fixture(scope="session")
def server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="session")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c
