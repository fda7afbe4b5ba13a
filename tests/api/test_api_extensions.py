"""Extension routers come from the `territoria.routers` entry point group."""

from __future__ import annotations

import asyncio
from importlib.metadata import EntryPoint

import httpx
import pytest

from territoria.api import app as app_module
from territoria.api import create_app
from territoria.core.errors import ConfigError
from territoria.workspace import Workspace


def _fake_group(value: str) -> object:
    def entry_points(group: str) -> list[EntryPoint]:
        assert group == "territoria.routers"
        return [EntryPoint("extension-test", value, group)]

    return entry_points


def test_extension_router_is_mounted(built_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "entry_points", _fake_group("api_support:extension_router"))
    app = create_app(built_ws.root)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/api/extension-test")

    assert asyncio.run(call()).json() == {"territory": built_ws.config.name}


def test_broken_extension_is_a_clear_error(built_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "entry_points", _fake_group("no_such_module_xyz:router"))
    with pytest.raises(ConfigError, match="extension-test"):
        create_app(built_ws.root)
