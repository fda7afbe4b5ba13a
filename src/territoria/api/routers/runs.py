"""Run history and the steps of one run (as of the current publication)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from territoria.api import scrub
from territoria.api.deps import Pub, Who, readable
from territoria.core.errors import NotFoundError
from territoria.core.params import WholeNumber
from territoria.core.serves import serves
from territoria.governance.access import Principal
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api/runs", tags=["runs"])

RUN_COLUMNS = (
    "run_id, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, status, command, steps_total, "
    "steps_run, steps_skipped, steps_failed, wall_s, cpu_s, error"
)


@router.get("", summary="Run history, newest first", openapi_extra=serves("public"))
def list_runs(
    pub: Pub,
    who: Who,
    limit: Annotated[WholeNumber, Query(ge=1, le=1000)] = 50,
    offset: Annotated[WholeNumber, Query(ge=0, le=10**9)] = 0,
    status: Annotated[str | None, Query(pattern="^(success|failed|interrupted|running)$")] = None,
) -> JSONResponse:
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    total = pub.cursor().execute(f"SELECT count(*) FROM meta.runs {where}", params).fetchall()[0][0]
    runs = pub.rows(
        f"SELECT {RUN_COLUMNS} FROM meta.runs {where} ORDER BY started_at DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    for run in runs:
        run["error"] = scrub.error(who, run["error"])
    return JSONResponse({"runs": runs, "total": int(total), "published_run": pub.run_id})


def redact(request: Request, who: Principal, pub: Publication, step: dict[str, Any]) -> None:
    """Errors and reports may quote data: counters only for non-administrators, and nothing at
    all of a step over data the caller may not read (not even its counts of rows)."""
    step["error"] = scrub.error(who, step.get("error"))
    step["report"] = scrub.report(who, step["report"])
    meta = pub.datasets.get(str(step["step"]).split(":", 1)[-1])
    if meta is not None and not readable(request, who, meta):
        step["report"] = {}
        scrub.counts(step)


@router.get("/{run_id}", summary="One run and its steps", openapi_extra=serves("public"))
def get_run(request: Request, pub: Pub, who: Who, run_id: Annotated[str, Path(max_length=64)]) -> JSONResponse:
    found = pub.rows(f"SELECT {RUN_COLUMNS} FROM meta.runs WHERE run_id = ?", [run_id])
    if not found:
        raise NotFoundError(f"unknown run {run_id!r}", hint="GET /api/runs lists them")
    found[0]["error"] = scrub.error(who, found[0]["error"])
    steps = pub.rows(
        "SELECT step, kind, status, reason, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, "
        "rows_in, rows_out, rows_quarantined, bytes_read, bytes_written, wall_s, cpu_s, peak_rss_bytes, "
        "report::VARCHAR AS report, error FROM meta.step_runs WHERE run_id = ? ORDER BY started_at",
        [run_id],
    )
    for s in steps:
        report = json.loads(s["report"]) if s["report"] else {}
        report.pop("traceback", None)  # internals stay in the store, not on the web
        s["report"] = report
        redact(request, who, pub, s)
    return JSONResponse({**found[0], "steps": steps})
