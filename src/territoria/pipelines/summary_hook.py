"""The run hook that saves the status summary (``pipelines/summary.py``) once a run is over."""

from __future__ import annotations

from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.runner import RunSummary
from territoria.pipelines.summary import save_summary


class SaveStatusSummary(RunHook):
    """Registered as ``status-summary``: it runs after ``publish`` (hooks run in name order)."""

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        save_summary(run.ws, run.engine, run.plan, run.statuses())


__all__ = ["SaveStatusSummary"]
