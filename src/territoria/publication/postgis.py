"""The run hook that exposes the published tables to GIS clients, for engines that can.

An engine offering ``expose_published(access)`` (PostgreSQL/PostGIS) is handed each published
table's access level after every run; the others are left alone. A failure is reported in the
summary like a publication failure: the run itself succeeded.
"""

from __future__ import annotations

from territoria.core.errors import TerritoriaError
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.runner import RunSummary


class ExposePublished(RunHook):
    def after_run(self, run: RunContext, summary: RunSummary) -> None:
        expose = getattr(run.engine, "expose_published", None)
        if expose is None:
            return
        published = {name for schema, name in run.engine.tables() if schema == "published"}
        access = {n: info.access.value for n, info in run.plan.datasets.items() if n in published}
        try:
            expose(access)
        except TerritoriaError as exc:
            summary.publication_error = str(exc)


__all__ = ["ExposePublished"]
