"""The run hook that publishes: at the end of every run, a new snapshot for the API."""

from __future__ import annotations

from territoria.core.errors import TerritoriaError
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.runner import RunSummary
from territoria.publication.snapshot import write_snapshot


class PublishSnapshot(RunHook):
    """Write the publication snapshot; a failure is reported in the summary, not raised: the
    run itself succeeded, and the API keeps serving the previous snapshot."""

    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        # A failed step kept its previous outputs, so what is published is consistent either way.
        try:
            summary.publication = str(write_snapshot(run.ws, run.engine, run.plan, summary.run_id).path)
        except (OSError, TerritoriaError) as exc:
            summary.publication_error = str(exc)


__all__ = ["PublishSnapshot"]
