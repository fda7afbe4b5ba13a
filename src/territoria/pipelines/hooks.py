"""Run hooks: what happens around a run without the runner knowing it.

A hook is an object with any of ``before_run``, ``before_step``, ``after_step`` and
``after_run`` (``RunHook`` has them all as no-ops, to subclass). ``run_pipeline`` calls the
hooks it is given; by default, those registered in the ``territoria.run_hooks`` group, so
publishing the snapshot (``territoria.publication``), landing retention and any plugin's
metering happen on every run whoever starts it. ``after_run`` is called once the run's records
are written and the run is closed, and only when the run was not interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from territoria.core.registry import registry
from territoria.engines.base import Engine
from territoria.footprint.retention import prune, retention_policy
from territoria.ledger import StepRecord, dataset_states, last_step_status, now
from territoria.pipelines.inspect import dataset_status
from territoria.pipelines.plan import Plan
from territoria.pipelines.summary import DatasetStatus
from territoria.workspace import Workspace

if TYPE_CHECKING:
    from territoria.pipelines.runner import RunSummary

GROUP = "territoria.run_hooks"


@dataclass
class RunContext:
    """What a hook may look at: the run's workspace, store, plan and the steps it will run."""

    ws: Workspace
    engine: Engine
    plan: Plan
    run_id: str
    #: the selected step ids, in run order
    steps: list[str]
    policies: dict[str, Any] = field(default_factory=dict)
    _last: dict[str, str] | None = field(default=None, init=False, repr=False)
    _states: dict[str, tuple[str, int, datetime]] | None = field(default=None, init=False, repr=False)
    _statuses: list[DatasetStatus] | None = field(default=None, init=False, repr=False)

    def last_status(self) -> dict[str, str]:
        """step -> the status of its latest record, once the run is closed (``after_run``): read
        once for all the hooks, which write none of the records it is computed from."""
        if self._last is None:
            self._last = last_step_status(self.engine)
        return self._last

    def dataset_states(self) -> dict[str, tuple[str, int, datetime]]:
        """``ledger.dataset_states`` once the run is closed: read once for the datasets' statuses
        and the publication's state digest (``publication.hooks.publication_state``)."""
        if self._states is None:
            self._states = dataset_states(self.engine)
        return self._states

    def forget_reads(self) -> None:
        """What a hook read during the run is out of date once it is closed."""
        self._last = self._states = self._statuses = None

    def statuses(self) -> list[DatasetStatus]:
        """Every dataset's status (``inspect.dataset_status``) once the run is closed, read once for
        the publication and the status summary."""
        if self._statuses is None:
            self._statuses = dataset_status(
                self.ws, self.engine, self.plan, last=self.last_status(), states=self.dataset_states()
            )
        return self._statuses


class RunHook:
    """Base class of run hooks: override the moments you need."""

    def before_run(self, run: RunContext) -> None:
        return None

    def before_step(self, run: RunContext, step: str) -> None:
        return None

    def after_step(self, run: RunContext, rec: StepRecord) -> None:
        return None

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        return None


def installed_hooks() -> list[RunHook]:
    """One instance of every hook of the ``territoria.run_hooks`` group, in name order."""
    return [factory() for _, factory in registry.items(GROUP)]


class Hooks:
    """The hooks of one run, called in order."""

    def __init__(self, hooks: Sequence[RunHook]) -> None:
        self.hooks = list(hooks)
        # called around every step: only the hooks that override the moment (most do nothing there)
        self.step_starts = [h for h in self.hooks if type(h).before_step is not RunHook.before_step]
        self.step_ends = [h for h in self.hooks if type(h).after_step is not RunHook.after_step]

    def before_run(self, run: RunContext) -> None:
        for hook in self.hooks:
            hook.before_run(run)

    def before_step(self, run: RunContext, step: str) -> None:
        for hook in self.step_starts:
            hook.before_step(run, step)

    def after_step(self, run: RunContext, rec: StepRecord) -> None:
        for hook in self.step_ends:
            hook.after_step(run, rec)

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        run.forget_reads()
        for hook in self.hooks:
            hook.after_run(run, summary)


class RetainLanding(RunHook):
    """Remove the raw payloads the landing retention policy no longer keeps."""

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        # after the run's fetches are recorded: they tell which versions are current
        pruned = prune(run.ws.landing, run.engine, retention_policy(run.policies), now())
        summary.landing_removed = len({sha for sha, _ in pruned.removed})


__all__ = ["GROUP", "Hooks", "RetainLanding", "RunContext", "RunHook", "installed_hooks"]
