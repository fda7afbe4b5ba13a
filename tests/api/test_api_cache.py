"""Answers kept per publication (api/cache.py) never change who reads what."""

from __future__ import annotations

from typing import Any

import httpx
from api_support import RESTRICTED, auth
from fastapi import FastAPI

from territoria.api.cache import PublishedResponseCache
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.workspace import Workspace


def cache_of(app: FastAPI) -> PublishedResponseCache:
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, PublishedResponseCache):
        layer = getattr(layer, "app", None)
    assert layer is not None, "the response cache is not mounted"
    return layer


def test_only_anonymous_open_reads_are_kept(
    app: FastAPI, built_ws: Workspace, client: httpx.Client, tokens: dict[str, str]
) -> None:
    client.get("/api")  # the server builds its middleware stack on the first request
    cache = cache_of(app)
    audit = AuditLog(AccessStore(built_ws.private / ACCESS_DB))
    items = "/ogc/collections/communes/items"
    client.get(items, params={"limit": 3})  # loads the publication (answers are kept once it is loaded)
    first = client.get(items, params={"limit": 3})
    kept = len(cache._entries)
    inner, calls = cache.app, []

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await inner(scope, receive, send)

    cache.app = counting
    try:
        again = client.get(items, params={"limit": 3})
        assert client.get(items, params={"limit": 4}).json()["numberReturned"] == 4  # another query, another answer
    finally:
        cache.app = inner
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert kept >= 1 and calls == [items]  # the repeat was answered without running the route
    # refused reads are refused (and logged) every time
    before = len(audit.entries(10000))
    for _ in range(2):
        assert client.get(f"/ogc/collections/{RESTRICTED}/items").status_code == 401
    assert len(audit.entries(10000)) == before + 2
    # a role's reads, open or audited, are never kept, and audited every time
    size = len(cache._entries)
    for _ in range(2):
        r = client.get(f"/ogc/collections/{RESTRICTED}/items", headers=auth(tokens["elu"]), params={"purpose": "x"})
        assert r.status_code == 200
        assert client.get(items, params={"limit": 5}, headers=auth(tokens["elu"])).status_code == 200
    assert len(cache._entries) == size
    assert len(audit.entries(10000)) == before + 4
