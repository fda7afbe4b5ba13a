"""What the access check leaves in a request's scope (``core.serves.READABLE``) holds nothing
that holds the scope. A closure over the request stored in its own scope made a reference cycle
per request, freed only by the garbage collector's passes, whose full ones stall a worker that
holds the publication in memory: the OGC pages' p99 went from 8 ms to 50-560 ms
(``bench/api.py``)."""

from __future__ import annotations

import gc
from typing import Any

import httpx
from fastapi import APIRouter, Request

from territoria.api import create_app
from territoria.core.serves import READABLE, readable_in, serves
from territoria.testing.live import LiveServer
from territoria.workspace import Workspace


def _reaches(start: object, target: object, limit: int = 20_000) -> bool:
    seen, todo = {id(start)}, [start]
    while todo and len(seen) < limit:
        for ref in gc.get_referents(todo.pop()):
            if ref is target:
                return True
            if id(ref) not in seen and not isinstance(ref, type):
                seen.add(id(ref))
                todo.append(ref)
    return False


def test_the_access_check_leaves_no_reference_cycle_in_the_scope(built_ws: Workspace) -> None:
    probe = APIRouter()

    @probe.get("/probe", openapi_extra=serves("public"))
    def where(request: Request) -> dict[str, Any]:
        kept = request.scope[READABLE]
        return {"cycle": _reaches(kept, request.scope), "open": readable_in(request.scope)("communes")}

    app = create_app(built_ws.root)
    app.include_router(probe)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        answer = client.get("/probe").json()
    assert answer == {"cycle": False, "open": True}
