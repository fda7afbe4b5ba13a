"""Run history and the steps of one run (as of the current publication).

A caller sees the figures of the steps over data it may read, and a run's totals only when it sees
every step of the run (``governance.figures``): a run's wall and CPU time add up those of steps over
closed datasets, so they would tell how much of those there is. Nor, then, the steps' own times:
each step of such a run says the run's start, its end withheld, listed by name (a step's start is
the end of the steps before it, a closed one's among them).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from territoria.api import scrub
from territoria.api.deps import Pub, Who
from territoria.core.errors import NotFoundError
from territoria.core.params import WholeNumber
from territoria.core.serves import FiguresShown, serves
from territoria.governance.access import Principal
from territoria.governance.figures import (
    RUN_FIGURES,
    STEP_FIGURES,
    MayRead,
    at_run_start,
    in_stable_order,
    step_visible,
    withhold,
)
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api/runs", tags=["runs"])

RUN_COLUMNS = (
    "run_id, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, status, command, steps_total, "
    "steps_run, steps_skipped, steps_failed, wall_s, cpu_s, error"
)


@router.get("", summary="Run history, newest first", openapi_extra=serves("public"))
def list_runs(
    request: Request,
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
    may_read = FiguresShown(request.scope, "runs")
    closed = _runs_with_closed_steps(pub, [r["run_id"] for r in runs], may_read)
    may_read.audit()
    for run in runs:
        run["error"] = scrub.error(who, run["error"])
        if run["run_id"] in closed:
            withhold(run, RUN_FIGURES)
    return JSONResponse({"runs": runs, "total": int(total), "published_run": pub.run_id})


def _runs_with_closed_steps(pub: Publication, run_ids: list[str], may_read: MayRead) -> set[str]:
    """The runs among ``run_ids`` with a step whose figures the caller may not see."""
    if not run_ids:
        return set()
    marks = ", ".join("?" for _ in run_ids)
    steps = pub.rows(
        f"SELECT run_id, step, inputs::VARCHAR AS inputs, outputs::VARCHAR AS outputs FROM meta.step_runs "
        f"WHERE run_id IN ({marks})",
        run_ids,
    )
    return {s["run_id"] for s in steps if not step_visible(s, may_read)}


def blurred_starts(pub: Publication, run_ids: list[str], may_read: MayRead) -> dict[str, str | None]:
    """run -> its start, for the runs among ``run_ids`` with a step the caller does not see: the
    time every step record of such a run says (``governance.figures.at_run_start``)."""
    closed = sorted(_runs_with_closed_steps(pub, sorted(set(run_ids)), may_read))
    if not closed:
        return {}
    marks = ", ".join("?" for _ in closed)
    rows = pub.rows(
        f"SELECT run_id, started_at::VARCHAR AS started_at FROM meta.runs WHERE run_id IN ({marks})", closed
    )
    starts = {r["run_id"]: r["started_at"] for r in rows}
    return {run: starts.get(run) for run in closed}  # a run not recorded: no time at all


def redact(who: Principal, step: dict[str, Any], may_read: MayRead) -> bool:
    """Errors and reports may quote data: counters only for non-administrators, and nothing at
    all of a step over data the caller may not read (not its rows, bytes, times nor memory).
    Returns whether the step's figures were withheld."""
    step["error"] = scrub.error(who, step.get("error"))
    step["report"] = scrub.report(who, step["report"])
    visible = step_visible(step, may_read)
    if not visible:
        step["report"] = {}
        withhold(step, STEP_FIGURES)
    step.pop("inputs", None)
    step.pop("outputs", None)
    return not visible


@router.get("/{run_id}", summary="One run and its steps", openapi_extra=serves("public"))
def get_run(request: Request, pub: Pub, who: Who, run_id: Annotated[str, Path(max_length=64)]) -> JSONResponse:
    found = pub.rows(f"SELECT {RUN_COLUMNS} FROM meta.runs WHERE run_id = ?", [run_id])
    if not found:
        raise NotFoundError(f"unknown run {run_id!r}", hint="GET /api/runs lists them")
    found[0]["error"] = scrub.error(who, found[0]["error"])
    steps = pub.rows(
        "SELECT step, kind, status, reason, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, "
        "rows_in, rows_out, rows_quarantined, bytes_read, bytes_written, wall_s, cpu_s, peak_rss_bytes, "
        "report::VARCHAR AS report, error, inputs::VARCHAR AS inputs, outputs::VARCHAR AS outputs "
        "FROM meta.step_runs WHERE run_id = ? ORDER BY started_at",
        [run_id],
    )
    may_read = FiguresShown(request.scope, "run")
    withheld = False
    for s in steps:
        report = json.loads(s["report"]) if s["report"] else {}
        report.pop("traceback", None)  # internals stay in the store, not on the web
        s["report"] = report
        withheld = redact(who, s, may_read) or withheld
    if withheld:
        withhold(found[0], RUN_FIGURES)
        for s in steps:
            at_run_start(s, found[0]["started_at"])
        steps = in_stable_order(steps)
    may_read.audit()
    return JSONResponse({**found[0], "steps": steps})
