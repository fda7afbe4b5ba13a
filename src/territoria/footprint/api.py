"""``/api/footprint``: the footprint views over HTTP (mounted through the ``territoria.routers`` group).

Each request opens the store read-only for the time of a few queries and never takes the
workspace lock, so a running pipeline is not blocked. While a run holds the store, the last
report read is served again, marked ``stale``; before any report was read, the answer is 503.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from territoria.core.errors import TerritoriaError
from territoria.core.params import WholeNumber
from territoria.core.serves import FiguresShown, serves
from territoria.engines.registry import engine_capabilities, open_engine
from territoria.footprint.report import FootprintReport, cost_json, group_json
from territoria.workspace import Workspace


class _Reader:
    """Builds a report from a short read-only connection; keeps the last one for busy moments."""

    def __init__(self, ws: Workspace, max_age_s: float = 2.0) -> None:
        self.ws = ws
        self.max_age_s = max_age_s
        self.lock = threading.Lock()
        self.cached: FootprintReport | None = None
        self.cached_at = 0.0

    def report(self) -> tuple[FootprintReport, bool]:
        with self.lock:
            if self.cached is not None and time.monotonic() - self.cached_at < self.max_age_s:
                return self.cached, False
            if not engine_capabilities(self.ws.config.engine).store_exists(self.ws.store_dir):
                raise HTTPException(404, detail="no run yet: the workspace store does not exist (run `territoria run`)")
            try:
                engine = open_engine(self.ws.config.engine, self.ws.store_dir, read_only=True)
            except Exception as exc:  # locked by a writer, in this process or another: the engine's own error
                if self.cached is not None:
                    return self.cached, True
                message = exc.message if isinstance(exc, TerritoriaError) else "the store is busy (a run is writing)"
                raise HTTPException(503, detail=f"{message}; retry in a moment") from exc
            try:
                self.cached = FootprintReport(self.ws, engine)
            finally:
                engine.close()
            self.cached_at = time.monotonic()
            return self.cached, False


#: energy and carbon of runs, packs and steps: each caller sees the figures of the steps over data
#: it may read, and aggregates over those only (``governance.figures``)
PUBLIC = serves("public")


def _may_read(request: Request, view: str) -> FiguresShown:
    """What the API's access check says the caller reads, asked once per dataset per request; the
    restricted and personal datasets whose figures the view showed go to the audit log."""
    return FiguresShown(request.scope, f"footprint-{view}")


def router(workspace: Workspace | Path | str, *, cache_seconds: float = 2.0) -> APIRouter:
    ws = workspace if isinstance(workspace, Workspace) else Workspace(Path(workspace))
    reader = _Reader(ws, cache_seconds)
    api = APIRouter(prefix="/api/footprint", tags=["footprint"])

    def answer(build: Callable[[FootprintReport], Any], shown: FiguresShown) -> dict[str, Any]:
        report, stale = reader.report()
        body = {
            "stale": stale,
            "grid": report.intensity_label,
            "note": "energy in Wh, CO2e in g; every figure has a low-high band and states its method",
            "data": build(report),
        }
        shown.audit()
        return body

    @api.get("", openapi_extra=PUBLIC, summary="Last runs, storage and the grid used")
    def summary(request: Request, limit: Annotated[WholeNumber, Query(ge=1, le=500)] = 10) -> dict[str, Any]:
        may_read = _may_read(request, "summary")
        return answer(
            lambda r: {"runs": group_json(r.by_run(limit, may_read)), "storage": r.storage(may_read)}, may_read
        )

    @api.get("/runs", openapi_extra=PUBLIC, summary="Footprint by run")
    def runs(request: Request, limit: Annotated[WholeNumber, Query(ge=1, le=500)] = 20) -> dict[str, Any]:
        may_read = _may_read(request, "runs")
        return answer(lambda r: group_json(r.by_run(limit, may_read)), may_read)

    @api.get("/packs", openapi_extra=PUBLIC, summary="Footprint by pack (use case)")
    def packs(request: Request, days: Annotated[WholeNumber, Query(ge=0, le=36500)] = 30) -> dict[str, Any]:
        may_read = _may_read(request, "packs")
        return answer(lambda r: group_json(r.by_pack(days or None, may_read)), may_read)

    @api.get("/top", openapi_extra=PUBLIC, summary="Top consuming steps")
    def top(
        request: Request,
        n: Annotated[WholeNumber, Query(ge=1, le=200)] = 10,
        days: Annotated[WholeNumber, Query(ge=0, le=36500)] = 30,
    ) -> dict[str, Any]:
        may_read = _may_read(request, "top")
        return answer(lambda r: group_json(r.top_steps(n, days or None, may_read)), may_read)

    @api.get("/trend", openapi_extra=PUBLIC, summary="Energy per day")
    def trend(request: Request, days: Annotated[WholeNumber, Query(ge=1, le=3660)] = 30) -> dict[str, Any]:
        may_read = _may_read(request, "trend")
        return answer(lambda r: group_json(r.trend(days, may_read)), may_read)

    @api.get("/datasets", openapi_extra=PUBLIC, summary="Cost of every dataset per refresh and per month")
    def datasets(request: Request) -> dict[str, Any]:
        # each cost is read like its dataset (the route below): it says how much of it there is
        may_read = _may_read(request, "datasets")
        return answer(lambda r: [cost_json(c) for c in r.all_datasets(may_read)], may_read)

    # a dataset's cost is read like the dataset: it says how much of it there is
    @api.get(
        "/datasets/{name}",
        openapi_extra=serves("dataset", "name", lookup="catalog"),
        summary="What one dataset or indicator costs, upstream share included",
    )
    def dataset(request: Request, name: str) -> dict[str, Any]:
        may_read = _may_read(request, "dataset")

        def build(r: FootprintReport) -> dict[str, Any]:
            cost = r.dataset(name, may_read)
            if cost is None:
                raise HTTPException(404, detail=f"no footprint for {name!r}: unknown, or never built")
            return cost_json(cost)

        return answer(build, may_read)

    return api
