"""Extension routers come from the plugin registry's `territoria.routers` group."""

from __future__ import annotations

import asyncio
from importlib.metadata import EntryPoint

import httpx
import pytest
from api_support import extension_router
from fastapi import APIRouter

from territoria.api import create_app
from territoria.api.app import ROUTER_GROUP
from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.workspace import Workspace


def test_extension_router_is_mounted(built_ws: Workspace) -> None:
    with registry.registered(ROUTER_GROUP, "extension-test", extension_router):
        app = create_app(built_ws.root)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/api/extension-test")

    assert asyncio.run(call()).json() == {"territory": built_ws.config.name}


def test_broken_extension_is_a_clear_error(built_ws: Workspace) -> None:
    def broken(ws: Workspace) -> APIRouter:
        # what an installed entry point naming a module that is gone does when loaded
        router: APIRouter = EntryPoint("extension-test", "no_such_module_xyz:router", ROUTER_GROUP).load()(ws)
        return router

    with (
        registry.registered(ROUTER_GROUP, "extension-test", broken),
        pytest.raises(ConfigError, match="extension-test"),
    ):
        create_app(built_ws.root)
