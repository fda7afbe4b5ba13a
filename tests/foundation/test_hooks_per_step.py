"""Run hooks around each step: only the hooks that override a step moment are called there (the
base class's moments do nothing), and every hook that overrides one, even through a parent class,
is called at every step."""

from __future__ import annotations

from typing import Any, cast

from territoria.ledger.rows import StepRecord
from territoria.pipelines.hooks import Hooks, RunContext, RunHook


class Starts(RunHook):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def before_step(self, run: RunContext, step: str) -> None:
        self.seen.append(step)


class StartsToo(Starts):  # the override comes from its parent
    pass


class Ends(RunHook):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def after_step(self, run: RunContext, rec: StepRecord) -> None:
        self.seen.append(rec.step)


def test_step_moments_reach_the_hooks_that_override_them() -> None:
    starts, starts_too, ends, idle = Starts(), StartsToo(), Ends(), RunHook()
    hooks = Hooks([starts, idle, ends, starts_too])
    run = cast(RunContext, cast(Any, None))
    for step in ("a", "b"):
        hooks.before_step(run, step)
        hooks.after_step(run, StepRecord("r", step, "model"))
    assert starts.seen == starts_too.seen == ends.seen == ["a", "b"]
    assert hooks.step_starts == [starts, starts_too] and hooks.step_ends == [ends]
