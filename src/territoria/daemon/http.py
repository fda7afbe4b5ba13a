"""``/healthz``, ``/readyz`` and ``/metrics`` (mounted through the ``territoria.routers`` group).

Under ``territoria up`` they answer from the supervisor (``app.state.operations``); under
``territoria serve`` there is no supervisor: health is the server's own, readiness is having a
publication to serve, and the metrics are those of an idle supervisor.

Access: health and readiness say nothing about the data (an orchestrator's or load balancer's
probe calls them without credentials), so they are public. The metrics name datasets and steps,
their failures and quarantine counts: operations data, read with an administrator's token (a
Prometheus scrape job sends it as ``authorization: {credentials: ...}``), as ``/api/runs`` is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from territoria.core.serves import serves
from territoria.daemon.metrics import Observatory
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace

#: a supervisor loop silent for longer than this is stuck (a run does not stop its ticks' heartbeat
#: for longer than the run itself, so the limit is generous)
STUCK_S = 3600.0


def router(workspace: Workspace | Path | str) -> APIRouter:
    ws = workspace if isinstance(workspace, Workspace) else Workspace(Path(workspace))
    idle = Observatory()
    api = APIRouter(tags=["operations"])

    def ops(request: Request) -> tuple[Observatory, bool]:
        found = getattr(request.app.state, "operations", None)
        return (found, True) if isinstance(found, Observatory) else (idle, False)

    @api.get("/healthz", summary="The process is alive", openapi_extra=serves("public"))
    def healthz(request: Request) -> JSONResponse:
        metrics, supervised = ops(request)
        health = metrics.health
        stuck = supervised and time.monotonic() - health.heartbeat > STUCK_S and health.running is None
        body: dict[str, Any] = {"status": "stuck" if stuck else "ok", "supervisor": supervised}
        if supervised:
            body["uptime_s"] = round(time.monotonic() - health.started, 1)
            body["running"] = health.running
        return JSONResponse(body, status_code=503 if stuck else 200)

    @api.get("/readyz", summary="Ready to serve: a publication exists", openapi_extra=serves("public"))
    def readyz(request: Request) -> JSONResponse:
        metrics, supervised = ops(request)
        health = metrics.health
        published = health.published if supervised else current_snapshot(ws.private) is not None
        checks = {"publication": published, "stopping": health.stopping}
        if supervised and health.mqtt_connected is not None:
            checks["mqtt"] = health.mqtt_connected
        ready = published and not health.stopping and checks.get("mqtt", True) is not False
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @api.get("/metrics", summary="Prometheus metrics of the supervisor", openapi_extra=serves("admin"))
    def metrics(request: Request) -> Response:
        found, _ = ops(request)
        return Response(found.exposition(), media_type=CONTENT_TYPE_LATEST)

    return api


__all__ = ["router"]
