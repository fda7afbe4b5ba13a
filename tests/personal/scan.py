"""Look for direct identifiers everywhere a user, a model or a route could read them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
from fastapi import FastAPI
from fastapi.routing import APIRoute

from territoria.api import create_app
from territoria.core.serves import declared
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import Workspace


def found(text: str, needles: Iterable[str]) -> list[str]:
    return sorted(n for n in needles if n in text)


def scan_store(ws: Workspace, needles: set[str]) -> tuple[int, list[str]]:
    """(tables scanned, needles found) over every table of the store, the run records included."""
    hits: set[str] = set()
    with ws.engine() as engine:
        tables = sorted(engine.tables())
        for schema, name in tables:
            rows = engine.fetch_arrow(f'SELECT * FROM "{schema}"."{name}"').to_pylist()
            hits |= set(found(str(rows), needles))
    return len(tables), sorted(hits)


def scan_files(ws: Workspace, needles: set[str], allowed: set[Path]) -> tuple[int, list[str]]:
    """Every file of ``.territoria/`` but the ``allowed`` ones (raw landing, re-identification table)."""
    hits: set[str] = set()
    scanned = 0
    for path in sorted(ws.private.rglob("*")):
        if not path.is_file() or any(path == a or a in path.parents for a in allowed):
            continue
        scanned += 1
        if path.suffix == ".parquet":
            text = str(pq.read_table(path).to_pylist())
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        hits |= {f"{n} in {path.relative_to(ws.private)}" for n in found(text, needles)}
    return scanned, sorted(hits)


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    for route in app.routes:
        branches = getattr(route, "effective_route_contexts", None)
        if branches is None:
            if isinstance(route, APIRoute):
                yield route.path, route
            continue
        for ctx in branches():
            if isinstance(ctx.original_route, APIRoute):
                yield ctx.path or ctx.original_route.path, ctx.original_route


def _urls(path: str, values: dict[str, list[str]]) -> list[str]:
    names = [m.split(":")[0] for m in re.findall(r"\{([^}]+)\}", path)]
    urls = [path]
    for name in names:
        urls = [re.sub(r"\{" + name + r"(:[^}]*)?\}", v, u, count=1) for u in urls for v in values.get(name, ["x"])]
    return urls


async def _get_all(app: FastAPI, urls: list[str], headers: dict[str, str], purpose: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return [await c.get(u, params={"purpose": purpose}, headers=headers) for u in urls]


def scan_api(ws: Workspace, needles: set[str], datasets: list[str], purpose: str) -> dict[str, Any]:
    """GET every route of the app, as an administrator, for each of ``datasets``."""
    app = create_app(ws.root)
    _, token = AccessStore(ws.private / ACCESS_DB).add("scan", "admin")
    pub = app.state.territoria.source.get()
    values = {
        "dataset_id": datasets,
        "collection_id": datasets,
        "name": datasets,
        "indicator_id": ["population"],
        "feature_id": ["1", "2"],
        "run_id": [pub.run_id],
    }
    urls = []
    for path, route in _routes(app):
        rule = declared(route.openapi_extra)
        if "GET" not in route.methods or (rule and rule["kind"] == "sensors"):
            continue
        urls += _urls(path, values)
    responses = asyncio.run(_get_all(app, urls, {"Authorization": f"Bearer {token}"}, purpose))
    hits = {f"{n} in {r.request.url.path}" for r in responses for n in found(r.text, needles)}
    ok = [r for r in responses if r.status_code == 200]
    return {"requests": len(responses), "ok": len(ok), "hits": sorted(hits), "bodies": [r.text for r in ok]}
