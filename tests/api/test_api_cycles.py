"""What the access check leaves in a request's scope (``core.serves.READABLE``) holds nothing
that holds the scope. A closure over the request stored in its own scope made a reference cycle
per request, freed only by the garbage collector's passes, whose full ones stall a worker that
holds the publication in memory: the OGC pages' p99 went from 8 ms to 50-560 ms
(``bench/api.py``)."""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import Any

import httpx
from api_support import PERSONAL, RESTRICTED
from fastapi import APIRouter, Request

from spawned import bare_env
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


#: requests from another process (an httpx client in the server's process makes cycles of its own)
CLIENT = """
import sys, httpx
token, count, paths = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
with httpx.Client(base_url=sys.argv[1], headers={"Authorization": f"Bearer {token}"} if token else {}) as c:
    for _ in range(count):
        for p in paths:
            c.get(p)
"""
ROUTES = [
    "/api/indicators",
    "/api/indicators/densite_population/values?mesh=commune",
    "/api/indicators/densite_population/lineage",
    "/api/catalog",
    f"/api/datasets/{RESTRICTED}",  # lineage scrubbed for everyone but an administrator
    f"/api/datasets/{RESTRICTED}/rows",  # read, or refused: both recorded in the audit log
    f"/api/datasets/{PERSONAL}/rows",
    "/api/runs",
    "/ogc/collections/contours-communes/items?limit=10",
    "/ogc/collections/contours-communes/items?limit=abc",
    "/metrics",
]


def _cycles_per_request(url: str, token: str, paths: list[str], count: int = 10) -> float:
    command = [sys.executable, "-c", CLIENT, url, token, str(count), *paths]
    subprocess.run(command, check=True, timeout=120, env=bare_env())  # caches warm
    gc.collect()
    gc.disable()
    try:
        subprocess.run(command, check=True, timeout=120, env=bare_env())
        found = gc.collect()
    finally:
        gc.enable()
    return found / (count * len(paths))


def test_requests_leave_no_reference_cycles(built_ws: Workspace, tokens: dict[str, str]) -> None:
    """Every route, anonymous and with an agent's and an administrator's token: nothing per
    request for the garbage collector, whose full passes stall a worker holding the publication
    (a recursive closure in the lineage's scrub left 16 objects a request; ``json.dump`` of the
    audit log's head 32 per audited request)."""
    with LiveServer(create_app(built_ws.root)) as server:
        found = {
            role: _cycles_per_request(server.url, tokens.get(role, ""), ROUTES)
            for role in ("anonymous", "agent", "admin")
        }
    assert {role: n for role, n in found.items() if n >= 0.5} == {}
