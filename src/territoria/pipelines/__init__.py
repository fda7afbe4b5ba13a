"""The pipeline spine: declarative steps, a DAG derived from dataset references, an
incremental runner with run records and lineage.

Its names load on first use: ``territoria status`` imports ``pipelines.summary`` without the
planner and the runner behind them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from territoria.pipelines.plan import Plan, build_plan
    from territoria.pipelines.plan_cache import load_plan
    from territoria.pipelines.runner import RunSummary, run_pipeline

_HOMES = {
    "Plan": "plan",
    "build_plan": "plan",
    "load_plan": "plan_cache",
    "RunSummary": "runner",
    "run_pipeline": "runner",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = ["Plan", "RunSummary", "build_plan", "load_plan", "run_pipeline"]
