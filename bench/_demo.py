"""Build the demo territory (Rennes Métropole, every installed pack) the way `territoria demo` does."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.workspace import Workspace, init_demo_workspace


def build_demo(directory: Path) -> Workspace:
    return init_demo_workspace(directory)


def run(ws: Workspace, **kwargs: Any) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine, **kwargs)


def cpu_now() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_timed(ws: Workspace, **kwargs: Any) -> tuple[RunSummary, float]:
    """The run and the CPU time of the whole call: opening the store (spatial extension included) and
    the publication snapshot written after the run record is closed count, unlike in ``RunSummary.cpu_s``."""
    c0 = cpu_now()
    summary = run(ws, **kwargs)
    return summary, cpu_now() - c0


def fetched_bytes(ws: Workspace, run_id: str) -> int:
    with ws.engine() as engine:
        rows = engine.fetch_all("SELECT coalesce(sum(bytes), 0) FROM _territoria.fetches WHERE run_id = ?", [run_id])
    return int(rows[0][0])
