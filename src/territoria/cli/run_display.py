"""What ``territoria run`` and ``territoria demo`` show: a progress bar while steps run, then a
summary that lists what ran and counts what was unchanged (``--verbose`` lists those too), or
the same as JSON (``--json``, keys documented in docs/quickstart.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from territoria.cli.common import console, fmt_int, print_not_published
from territoria.cli.pipeline_cmds import STATUS_STYLE
from territoria.core.wording import counted
from territoria.ledger import StepRecord
from territoria.pipelines.hooks import RunContext, RunHook
from territoria.pipelines.readiness import NotPublished
from territoria.pipelines.runner import RunSummary

#: step statuses counted in a summary, in the order they are printed
COUNTED = ("success", "skipped", "failed", "blocked", "waiting")


class ProgressBar(RunHook):
    """The progress display of ``territoria run``: a run hook like publication."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task

    def before_step(self, run: RunContext, step: str) -> None:
        self.progress.update(self.task, description=step)

    def after_step(self, run: RunContext, rec: StepRecord) -> None:
        self.progress.advance(self.task)


@contextmanager
def progress_display(show: bool) -> Iterator[Progress | None]:
    if not show:
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
        yield progress


def _left_empty(summary: RunSummary, found: Mapping[str, NotPublished]) -> dict[NotPublished, list[str]]:
    """The indicators this run left waiting that no data will come to, by the source that is not
    published for the territory."""
    grouped: dict[NotPublished, list[str]] = {}
    for rec in summary.records:
        name = rec.step.partition(":")[2]
        if rec.kind == "indicator" and rec.status == "waiting" and name in found:
            grouped.setdefault(found[name], []).append(name)
    return grouped


def summary_json(summary: RunSummary, not_published: Mapping[str, NotPublished] | None = None) -> dict[str, Any]:
    left = _left_empty(summary, not_published or {})
    return {
        "run_id": summary.run_id,
        "status": summary.status,
        "counts": {status: summary.count(status) for status in COUNTED},
        "wall_s": round(summary.wall_s, 3),
        "cpu_s": round(summary.cpu_s, 3),
        "publication": summary.publication,
        "steps": [
            {
                "step": rec.step,
                "kind": rec.kind,
                "status": rec.status,
                "reason": rec.reason or None,
                "rows_out": rec.rows_out,
                "rows_quarantined": rec.rows_quarantined,
                "wall_s": round(rec.wall_s, 3),
                "error": rec.error,
                "warnings": list(rec.report.get("warnings", [])),
            }
            for rec in summary.records
        ],
        "footprint": summary.footprint,
        "not_published": {i: cause.as_dict() for cause, indicators in left.items() for i in indicators},
    }


def print_summary(
    summary: RunSummary, *, verbose: bool = False, not_published: Mapping[str, NotPublished] | None = None
) -> None:
    """``not_published``: the datasets no data will come to (``pipelines.readiness.not_published``):
    their waiting steps say why rather than "waiting for data"."""
    from rich.table import Table

    shown = [r for r in summary.records if verbose or r.status != "skipped"]
    if shown:
        table = Table(title=f"run {summary.run_id}")
        table.add_column("step", no_wrap=True)
        for header in ("status", "rows", "quarantined", "time"):
            table.add_column(header, overflow="fold")
        for rec in shown:
            style = STATUS_STYLE.get(rec.status, "")
            rows = fmt_int(rec.rows_out) if rec.status == "success" else "—"
            quarantined = fmt_int(rec.rows_quarantined) if rec.rows_quarantined else ""
            status = f"[{style}]{rec.status}[/] {rec.reason or ''}".strip()
            table.add_row(rec.step, status, rows, quarantined, f"{rec.wall_s:.2f}s")
        console.print(table)
    found = not_published or {}
    print_problems(summary.records, found)
    style = STATUS_STYLE.get(summary.status, "")
    unchanged = summary.count("skipped")
    console.print(
        f"[{style}]{summary.status}[/]: {summary.count('success')} run, {unchanged} unchanged, "
        f"{summary.count('failed')} failed, {summary.count('blocked')} blocked, {summary.count('waiting')} waiting "
        f"in {summary.wall_s:.2f}s "
        f"(CPU {summary.cpu_s:.2f}s)"
        + (" — `--verbose` lists the unchanged steps" if unchanged and not verbose else "")
    )
    print_not_published(_left_empty(summary, found))
    print_footprint(summary.footprint)


def print_problems(records: list[StepRecord], not_published: Mapping[str, NotPublished] | None = None) -> None:
    for rec in records:
        source = rec.step.removeprefix("ingest:")
        if rec.error and rec.status == "failed":
            console.print(f"[bold red]✗ {rec.step}:[/] {rec.error}")
        elif rec.status == "waiting" and rec.step.startswith("ingest:") and source in (not_published or {}):
            console.print(f"[yellow]… {rec.step}:[/] none to get: {(not_published or {})[source].message}")
        elif rec.error and rec.status == "waiting" and rec.step.startswith("ingest:"):
            console.print(f"[yellow]… {rec.step}:[/] {rec.error}")
        for warning in rec.report.get("warnings", []):
            console.print(f"[yellow]! {rec.step}:[/] {warning}")
        missing = rec.report.get("fetch", {}).get("communes_without_boundary")
        if missing:
            where = f"no boundary for {counted(len(missing), 'commune')}: {', '.join(missing)}"
            console.print(f"[yellow]! {rec.step}:[/] {where}")


def print_footprint(fp: dict[str, Any]) -> None:
    from territoria.cli.footprint_cmds import UNITS_G, fmt_band

    if not fp.get("energy_wh"):
        console.print(f"[dim]footprint: {fp.get('method', 'not measured')}[/]")
        return
    avoided = (fp.get("avoided") or {}).get("energy_wh")
    console.print(
        f"[dim]footprint ({fp['method']}): {fmt_band(fp['energy_wh'])}, {fmt_band(fp['co2e_g'], UNITS_G)} CO2e"
        + (f"; avoided by skipping unchanged work {fmt_band(avoided)}" if avoided and avoided["value"] else "")
        + "[/]"
    )
    for warning in fp.get("warnings") or []:
        console.print(f"[yellow]! budget:[/] {warning}")
