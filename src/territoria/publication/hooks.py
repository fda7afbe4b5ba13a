"""The run hook that publishes: at the end of every run, a new snapshot for the API."""

from __future__ import annotations

from datetime import datetime

from territoria.core.errors import TerritoriaError
from territoria.core.hashing import stable_hash
from territoria.engines.base import Engine
from territoria.ledger import dataset_states, step_keys
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.plan import Plan
from territoria.pipelines.runner import RunSummary
from territoria.pipelines.summary import DatasetStatus
from territoria.publication.snapshot import write_snapshot

#: bumped when what ``publication_state`` covers changes
STATE_FORMAT = 1


def publication_state(
    engine: Engine,
    plan: Plan,
    *,
    statuses: list[DatasetStatus],
    last: dict[str, str],
    states: dict[str, tuple[str, int, datetime]] | None = None,
) -> str | None:
    """A digest of what a snapshot's catalog is computed from: the plan's files, every dataset's
    content, rows and last update, every step's input key and last status (``last``), and each
    source's freshness (from ``statuses``, the datasets' statuses); ``states`` is
    ``ledger.dataset_states`` when the caller has read it. ``None`` when the plan's files are not
    stamped (``plan_cache.py``): the catalog is then always computed again."""
    if plan.fingerprint is None:
        return None
    freshness = {s.name: s.freshness for s in statuses if s.period_days is not None}
    states = dataset_states(engine) if states is None else states
    return stable_hash([STATE_FORMAT, plan.fingerprint, states, step_keys(engine), last, freshness])


class PublishSnapshot(RunHook):
    """Write the publication snapshot; a failure is reported in the summary, not raised: the
    run itself succeeded, and the API keeps serving the previous snapshot. A run that changed
    nothing the catalog shows links the current snapshot's catalog (``write_snapshot``)."""

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        # A failed step kept its previous outputs, so what is published is consistent either way.
        try:
            statuses = run.statuses()
            state = publication_state(
                run.engine, run.plan, statuses=statuses, last=run.last_status(), states=run.dataset_states()
            )
            snapshot = write_snapshot(run.ws, run.engine, run.plan, summary.run_id, state=state, statuses=statuses)
            summary.publication = str(snapshot.path)
        except (OSError, TerritoriaError) as exc:
            summary.publication_error = str(exc)


__all__ = ["PublishSnapshot", "publication_state"]
