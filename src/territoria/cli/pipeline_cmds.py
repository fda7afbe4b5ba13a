"""run, status, lineage, runs, export."""

from __future__ import annotations

import json
from getpass import getuser
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.tree import Tree

from territoria.cli.common import WorkspaceOpt, console, fmt_int, open_workspace
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.ledger import StepRecord, run_steps
from territoria.pipelines import build_plan, run_pipeline
from territoria.pipelines.hooks import RunContext, RunHook, installed_hooks
from territoria.pipelines.inspect import LineageNode, dataset_status, downstream, recent_runs, upstream
from territoria.pipelines.runner import RunSummary
from territoria.publication.export import export_dataset
from territoria.publication.formats import formats, formats_help, get_format
from territoria.workspace import Workspace

STATUS_STYLE = {
    "success": "green",
    "skipped": "dim",
    "failed": "bold red",
    "blocked": "red",
    "interrupted": "yellow",
    "running": "yellow",
    "waiting": "yellow",
}


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
    app.command()(lineage)
    app.command()(runs)
    app.command(cls=ExportCommand)(export)


class ProgressBar(RunHook):
    """The progress display of ``territoria run``: a run hook like publication."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task

    def before_step(self, run: RunContext, step: str) -> None:
        self.progress.update(self.task, description=step)

    def after_step(self, run: RunContext, rec: StepRecord) -> None:
        self.progress.advance(self.task)


def run_with_progress(
    ws: Workspace, *, only: list[str] | None, force: bool, command: str, wait: float = 0.0, check_all: bool = False
) -> RunSummary:
    with ws.engine(wait_seconds=wait) as engine:
        total = len(build_plan(ws).select(only)) if only else len(build_plan(ws).steps)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("starting", total=total)
            hooks = [*installed_hooks(), ProgressBar(progress, task)]
            return run_pipeline(ws, engine, only=only, force=force, hooks=hooks, command=command, check_all=check_all)


def print_summary(ws: Workspace, summary: RunSummary) -> None:
    table = Table("step", "status", "rows", "quarantined", "time", title=f"run {summary.run_id}")
    for rec in summary.records:
        style = STATUS_STYLE.get(rec.status, "")
        detail = rec.reason or ""
        rows = fmt_int(rec.rows_out) if rec.status == "success" else "—"
        quarantined = fmt_int(rec.rows_quarantined) if rec.rows_quarantined else ""
        table.add_row(rec.step, f"[{style}]{rec.status}[/] {detail}".strip(), rows, quarantined, f"{rec.wall_s:.2f}s")
    console.print(table)
    for rec in summary.records:
        if rec.error and rec.status == "failed":
            console.print(f"[bold red]✗ {rec.step}:[/] {rec.error}")
        elif rec.error and rec.status == "waiting" and rec.step.startswith("ingest:"):
            console.print(f"[yellow]… {rec.step}:[/] {rec.error}")
        for warning in rec.report.get("warnings", []):
            console.print(f"[yellow]! {rec.step}:[/] {warning}")
        missing = rec.report.get("fetch", {}).get("communes_without_boundary")
        if missing:
            console.print(f"[yellow]! {rec.step}:[/] no boundary for {len(missing)} commune(s): {', '.join(missing)}")
    style = STATUS_STYLE.get(summary.status, "")
    console.print(
        f"[{style}]{summary.status}[/]: {summary.count('success')} run, {summary.count('skipped')} unchanged, "
        f"{summary.count('failed')} failed, {summary.count('blocked')} blocked, {summary.count('waiting')} waiting "
        f"in {summary.wall_s:.2f}s "
        f"(CPU {summary.cpu_s:.2f}s)"
    )
    print_footprint(summary.footprint)


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


def run(
    workspace: WorkspaceOpt = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this step, dataset or pack (and what depends on it).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rerun steps even when nothing changed.")] = False,
    check_all: Annotated[
        bool,
        typer.Option("--check-all", help="Check every source now, even those not due at their declared frequency."),
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for another territoria process to release the workspace.")
    ] = 0.0,
) -> None:
    """Fetch what changed, validate, model, compute indicators and publish.

    Steps whose inputs and definition did not change are skipped. A failed step publishes
    nothing and leaves the previous outputs as they were.
    """
    ws = open_workspace(workspace)
    summary = run_with_progress(ws, only=only, force=force, command="run", wait=wait, check_all=check_all)
    print_summary(ws, summary)
    if summary.status != "success":
        raise typer.Exit(1)


def status(workspace: WorkspaceOpt = None) -> None:
    """Freshness of every dataset: rows, last update, last step status, quarantine."""
    ws = open_workspace(workspace)
    plan = build_plan(ws)
    with ws.engine() as engine:
        rows = dataset_status(ws, engine, plan)
    table = Table(
        "dataset", "layer", "access", "rows", "quarantined", "updated", "last step", "freshness", title=ws.config.name
    )
    for r in rows:
        updated = r.updated_at.strftime("%Y-%m-%d %H:%M") if r.updated_at else "—"
        last = f"[{STATUS_STYLE.get(r.last_status or '', '')}]{r.last_status or '—'}[/]"
        table.add_row(
            r.name,
            r.layer,
            r.access,
            fmt_int(r.rows),
            fmt_int(r.quarantined) if r.quarantined is not None else "",
            updated,
            last,
            r.freshness,
        )
    console.print(table)


def _tree(node: LineageNode, tree: Tree) -> None:
    for child in node.children:
        _tree(child, tree.add(escape(child.label)))


def lineage(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `territoria status`).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Where a dataset comes from (down to the landed bytes and their source) and what uses it."""
    ws = open_workspace(workspace)
    plan = build_plan(ws)
    if dataset not in plan.datasets:
        from territoria.core.errors import NotFoundError
        from territoria.core.suggest import did_you_mean

        raise NotFoundError(f"unknown dataset {dataset!r}", hint=did_you_mean(dataset, plan.datasets))
    with ws.engine() as engine:
        up = upstream(plan, engine, dataset)
    root = Tree(f"[bold]{escape(up.label)}[/] ← comes from")
    _tree(up, root)
    console.print(root)
    down = downstream(plan, dataset)
    root = Tree(f"[bold]{escape(down.label)}[/] → feeds")
    _tree(down, root)
    console.print(root)


def runs(
    workspace: WorkspaceOpt = None,
    run_id: Annotated[str | None, typer.Option("--run", help="Show the steps of one run.")] = None,
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """History of runs, or the steps of one run."""
    ws = open_workspace(workspace)
    with ws.engine() as engine:
        if run_id:
            steps = run_steps(engine, run_id)
            if as_json:
                print(json.dumps(steps, default=str, indent=1))
                return
            table = Table("step", "status", "in", "out", "quarantined", "wall", "cpu", title=f"run {run_id}")
            for s in steps:
                table.add_row(
                    s["step"],
                    f"[{STATUS_STYLE.get(s['status'], '')}]{s['status']}[/] {s['reason'] or ''}",
                    fmt_int(s["rows_in"]),
                    fmt_int(s["rows_out"]),
                    fmt_int(s["rows_quarantined"]),
                    f"{s['wall_s']:.3f}s",
                    f"{s['cpu_s']:.3f}s",
                )
            console.print(table)
            return
        rows = recent_runs(engine, limit)
    if as_json:
        keys = [
            "run_id",
            "started_at",
            "status",
            "command",
            "steps_total",
            "steps_run",
            "steps_skipped",
            "steps_failed",
            "wall_s",
            "cpu_s",
            "error",
        ]
        print(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], default=str, indent=1))
        return
    table = Table("run", "started", "status", "command", "run", "unchanged", "failed", "wall")
    for r in rows:
        table.add_row(
            r[0],
            r[1].strftime("%Y-%m-%d %H:%M:%S"),
            f"[{STATUS_STYLE.get(r[2], '')}]{r[2]}[/]",
            r[3],
            str(r[5] or 0),
            str(r[6] or 0),
            str(r[7] or 0),
            f"{r[8] or 0:.2f}s",
        )
    console.print(table)


class ExportCommand(typer.core.TyperCommand):
    """``export``, whose ``--format`` help lists the formats registered when help is asked for:
    a format plugin shows up with no change to the CLI."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for param in self.params:
            if param.name == "fmt" and isinstance(param, typer.core.TyperOption):
                param.help = f"One of {', '.join(formats())}. {formats_help()}."
        super().format_help(ctx, formatter)


def export(
    dataset: Annotated[str, typer.Argument(help="Published dataset to export.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="An export format (listed by --help).")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: DATASET.EXT).")] = None,
    purpose: Annotated[str | None, typer.Option(help="Why you export restricted or personal data (audited).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export a published dataset (only published, secrecy-protected data ever leaves)."""
    ws = open_workspace(workspace)
    dest = output or Path(f"{dataset}.{get_format(fmt).extension}")
    plan = build_plan(ws)
    with ws.engine() as engine:
        audit = AuditLog(AccessStore(ws.private / ACCESS_DB))
        rows = export_dataset(plan, engine, dataset, fmt, dest, purpose=purpose, who=f"cli:{getuser()}", audit=audit)
    console.print(f"[green]✓[/] {fmt_int(rows)} rows of {dataset} written to {dest}")
