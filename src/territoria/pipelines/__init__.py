"""The pipeline spine: declarative steps, a DAG derived from dataset references, an
incremental runner with run records and lineage."""

from territoria.pipelines.plan import Plan, build_plan
from territoria.pipelines.runner import RunSummary, run_pipeline

__all__ = ["Plan", "RunSummary", "build_plan", "run_pipeline"]
