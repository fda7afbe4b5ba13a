"""The run hook that publishes: at the end of every run, a new snapshot for the API, unless
nothing the snapshot shows changed since the current one."""

from __future__ import annotations

import json

from territoria.core.errors import NotFoundError, TerritoriaError
from territoria.core.hashing import stable_hash
from territoria.engines.base import Engine
from territoria.ledger import dataset_fingerprints, last_step_status, step_keys
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.inspect import dataset_status
from territoria.pipelines.plan import Plan
from territoria.pipelines.runner import RunSummary
from territoria.publication.snapshot import current_snapshot, write_snapshot
from territoria.workspace import Workspace

#: bumped when what ``publication_state`` covers changes
STATE_FORMAT = 1


def publication_state(ws: Workspace, engine: Engine, plan: Plan) -> str | None:
    """A digest of what a snapshot shows of the store: the plan's files, every dataset's
    content and rows, every step's input key and last status (``skipped`` counts as
    ``success``: the output is current either way) and each source's freshness. ``None`` when
    the plan's files are not stamped (``plan_cache.py``): the snapshot is then always written."""
    if plan.fingerprint is None:
        return None
    statuses = {step: "success" if s == "skipped" else s for step, s in last_step_status(engine).items()}
    freshness = {s.name: s.freshness for s in dataset_status(ws, engine, plan) if s.period_days is not None}
    return stable_hash(
        [STATE_FORMAT, plan.fingerprint, dataset_fingerprints(engine), step_keys(engine), statuses, freshness]
    )


def _current_state(ws: Workspace) -> tuple[str, str | None] | None:
    """(path, state) of the current snapshot, or ``None`` when there is none readable."""
    try:
        snap = current_snapshot(ws.private)
        if snap is None:
            return None
        manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
    except (NotFoundError, OSError, ValueError):
        return None
    return str(snap.path), manifest.get("state")


class PublishSnapshot(RunHook):
    """Write the publication snapshot; a failure is reported in the summary, not raised: the
    run itself succeeded, and the API keeps serving the previous snapshot.

    A run that changed nothing the snapshot shows (``publication_state``: no step produced
    anything new, no status or freshness moved, no file of the plan changed) keeps the current
    snapshot: its run records are in the store (``territoria runs``), not in the API's history."""

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        # A failed step kept its previous outputs, so what is published is consistent either way.
        try:
            state = publication_state(run.ws, run.engine, run.plan)
            current = _current_state(run.ws)
            if state is not None and current is not None and current[1] == state:
                summary.publication = current[0]
                return
            summary.publication = str(write_snapshot(run.ws, run.engine, run.plan, summary.run_id, state=state).path)
        except (OSError, TerritoriaError) as exc:
            summary.publication_error = str(exc)


__all__ = ["PublishSnapshot", "publication_state"]
