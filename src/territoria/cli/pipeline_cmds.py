"""run, status, lineage, runs, export.

Every command imports what it runs inside its function: loading this module for
``territoria status`` must not load Rich's progress bars, the access store or the exporters.
Commands with ``--json`` print one JSON document on stdout whose keys are documented in
docs/quickstart.md ("Machine-readable output") and kept stable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from territoria.cli.common import (
    WorkspaceOpt,
    audit_log,
    console,
    fmt_int,
    open_workspace,
    operator_name,
    print_to_fill,
    workspace_root,
)
from territoria.core.errors import NotFoundError
from territoria.core.suggest import did_you_mean
from territoria.core.wording import counted

if TYPE_CHECKING:
    from rich.table import Table
    from rich.tree import Tree

    from territoria.pipelines.inspect import LineageNode
    from territoria.pipelines.runner import RunSummary
    from territoria.pipelines.summary import DatasetStatus
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
#: layers in the order ``status`` lists them, upstream first
LAYERS = ("staging", "model", "indicator", "published")
#: last step statuses that make ``territoria status`` exit 1
BROKEN = ("failed", "blocked")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (keys in docs/quickstart.md).")]


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
    app.command()(lineage)
    app.command()(runs)
    app.command(cls=ExportCommand)(export)


def run_with_progress(
    ws: Workspace,
    *,
    only: list[str] | None,
    force: bool,
    command: str,
    wait: float = 0.0,
    check_all: bool = False,
    show: bool = True,
) -> RunSummary:
    """Run the pipeline, with a progress bar unless ``show`` is false (``--json``)."""
    from territoria.cli.run_display import ProgressBar, progress_display
    from territoria.pipelines import load_plan, run_pipeline
    from territoria.pipelines.hooks import installed_hooks

    with ws.engine(wait_seconds=wait) as engine:
        plan = load_plan(ws)
        total = len(plan.select(only)) if only else len(plan.steps)
        with progress_display(show) as progress:
            hooks = [*installed_hooks()]
            if progress is not None:
                hooks.append(ProgressBar(progress, progress.add_task("starting", total=total)))
            return run_pipeline(ws, engine, only=only, force=force, hooks=hooks, command=command, check_all=check_all)


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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List unchanged (skipped) steps too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch what changed, validate, model, compute indicators and publish.

    Steps whose inputs and definition did not change are skipped (counted as unchanged;
    `--verbose` lists them). A failed step publishes nothing and leaves the previous outputs
    as they were. The exit code is 1 when a step failed or was blocked.
    """
    from territoria.cli.run_display import print_summary, summary_json
    from territoria.pipelines import load_plan
    from territoria.pipelines.readiness import not_published

    ws = open_workspace(workspace)
    summary = run_with_progress(
        ws, only=only, force=force, command="run", wait=wait, check_all=check_all, show=not as_json
    )
    found = not_published(ws, load_plan(ws))
    if as_json:
        print(json.dumps(summary_json(summary, found), default=str, ensure_ascii=False, indent=1))
    else:
        print_summary(summary, verbose=verbose, not_published=found)
    if summary.status != "success":
        raise typer.Exit(1)


def status_json(name: str, rows: list[DatasetStatus], to_fill: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "workspace": name,
        "parameters_to_fill": to_fill,
        "datasets": [{**r.listed(), "freshness": r.freshness} for r in rows],
    }


def status(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Freshness of every dataset: rows, last update, last step status, quarantine.

    Then the territory's parameters still to fill ("à renseigner"), which make steps wait.

    The exit code is 1 when the last step of any dataset failed or was blocked.
    """
    from territoria.pipelines.summary import read_summary

    # the summary saved by the last run or status, while neither the store nor the configuration changed
    saved = read_summary(workspace_root(workspace).resolve())
    name, rows, to_fill = saved or _read_status(workspace)
    if as_json:
        print(json.dumps(status_json(name, rows, to_fill), ensure_ascii=False, indent=1))
    else:
        print_status(name, rows)
        print_to_fill(to_fill)
    if any(r.last_status in BROKEN for r in rows):
        raise typer.Exit(1)


def _read_status(workspace: Path | None) -> tuple[str, list[DatasetStatus], dict[str, dict[str, str]]]:
    """The statuses read from the store (the summary is then saved for the next ``status``)."""
    from territoria.pipelines import load_plan
    from territoria.pipelines.inspect import dataset_status
    from territoria.pipelines.summary import save_summary

    ws = open_workspace(workspace)
    plan = load_plan(ws)
    with ws.engine() as engine:
        rows = dataset_status(ws, engine, plan)
        save_summary(ws, engine, plan, rows)
    return ws.config.name, rows, ws.parameters_to_fill()


def print_status(title: str, rows: list[DatasetStatus]) -> None:
    """One line per dataset, grouped under its layer, in 80 columns for the demo's ids.

    Dataset ids are what users type next: never cut. No other word is cut either (each column
    is as wide as its longest value word, values wrap at spaces); the quarantine column only shows
    when something is quarantined.
    """
    order = {layer: i for i, layer in enumerate(LAYERS)}
    rows = sorted(rows, key=lambda r: order.get(r.layer, len(order)))  # stable: plan order in a layer
    with_quarantine = any(r.quarantined for r in rows)
    cells = [
        [
            r.name,
            r.access,
            fmt_int(r.rows),
            *([fmt_int(r.quarantined) if r.quarantined is not None else ""] if with_quarantine else []),
            r.updated_at.strftime("%Y-%m-%d %H:%M") if r.updated_at else "—",
            r.last_status or "—",
            r.freshness,
        ]
        for r in rows
    ]
    headers = ("access", "rows", *(("quarantined",) if with_quarantine else ()), "updated", "last step", "freshness")
    table = id_table("dataset", headers, title)
    for i, column in enumerate(table.columns):
        column.min_width = max(len(word) for row in cells for word in row[i].replace("\u202f", " ").split() or [""])
    layer = None
    for r, row in zip(rows, cells, strict=True):
        if r.layer != layer:
            layer = r.layer
            table.add_row(f"[bold]{layer}[/]", end_section=False)
        style = STATUS_STYLE.get(r.last_status or "")
        if style:  # a dataset never built has no status: "[]—[/]" would close a tag never opened
            row[-2] = f"[{style}]{row[-2]}[/]"
        table.add_row(*row)
    console.print(table)
    broken = [r.name for r in rows if r.last_status in BROKEN]
    if broken:
        failed = counted(len(broken), "dataset")
        console.print(f"[bold red]{failed} failed or blocked:[/] {', '.join(broken)}", soft_wrap=True)


def _tree(node: LineageNode, tree: Tree) -> None:
    from rich.markup import escape

    for child in node.children:
        _tree(child, tree.add(escape(child.label)))


def lineage(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `territoria status`).")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where a dataset comes from (down to the landed bytes and their source) and what uses it."""
    from rich.markup import escape
    from rich.tree import Tree

    from territoria.pipelines import build_plan
    from territoria.pipelines.inspect import downstream, upstream

    ws = open_workspace(workspace)
    plan = build_plan(ws)
    if dataset not in plan.datasets:
        raise NotFoundError(f"unknown dataset {dataset!r}", hint=did_you_mean(dataset, plan.datasets))
    with ws.engine() as engine:
        up = upstream(plan, engine, dataset)
    down = downstream(plan, dataset)
    if as_json:
        doc = {"dataset": dataset, "upstream": up.as_dict(), "downstream": down.as_dict()}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    for node, arrow in ((up, "← comes from"), (down, "→ feeds")):
        root = Tree(f"[bold]{escape(node.label)}[/] {arrow}")
        _tree(node, root)
        console.print(root)


RUN_KEYS = (
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
)


def runs(
    workspace: WorkspaceOpt = None,
    run_id: Annotated[str | None, typer.Option("--run", help="Show the steps of one run.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="How many runs to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """History of runs, or the steps of one run."""
    from territoria.pipelines.inspect import recent_runs

    ws = open_workspace(workspace)
    with ws.engine() as engine:
        if run_id:
            from territoria.ledger import run_steps

            steps = run_steps(engine, run_id)
            if not steps:
                known = [r[0] for r in recent_runs(engine, 1000)]
                raise NotFoundError(
                    f"unknown run {run_id!r}",
                    hint=did_you_mean(run_id, known) or "`territoria runs` lists the runs",
                )
            return print_run_steps(run_id, steps, as_json)
        rows = recent_runs(engine, limit)
    if as_json:
        print(json.dumps([dict(zip(RUN_KEYS, r, strict=True)) for r in rows], default=str, indent=1))
        return
    table = id_table("run", ("started", "status", "command", "run", "unchanged", "failed", "wall"))
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


def id_table(key: str, headers: tuple[str, ...], title: str | None = None) -> Table:
    """A table whose first column is an identifier users copy: never cut, the others fold."""
    from rich.table import Table

    # light borders and one space between columns: 80 columns hold the widest demo rows
    table = Table(title=title, box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold underline")
    table.add_column(key, no_wrap=True)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def print_run_steps(run_id: str, steps: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(steps, default=str, indent=1))
        return
    table = id_table("step", ("status", "in", "out", "quarantined", "wall", "cpu"), title=f"run {run_id}")
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


class ExportCommand(typer.core.TyperCommand):
    """``export``, whose ``--format`` help lists the formats registered when help is asked for:
    a format plugin shows up with no change to the CLI."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from territoria.publication.formats import formats, formats_help

        for param in self.params:
            if param.name == "fmt" and isinstance(param, typer.core.TyperOption):
                param.help = f"One of {', '.join(formats())}. {formats_help()}."
        super().format_help(ctx, formatter)


def export_destination(dataset: str, extension: str, output: Path | None) -> Path:
    """Where ``export`` writes: ``--output`` (a file, or a folder to put DATASET.EXT in)."""
    default = f"{dataset}.{extension}"
    if output is None:
        return Path(default)
    return output / default if output.is_dir() else output


def export(
    dataset: Annotated[str, typer.Argument(help="Published dataset to export.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="An export format (listed by --help).")] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File or existing folder to write to (default: DATASET.EXT, here)."),
    ] = None,
    purpose: Annotated[str | None, typer.Option(help="Why you export restricted or personal data (audited).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export a published dataset (only published, secrecy-protected data ever leaves)."""
    from territoria.pipelines import build_plan
    from territoria.publication.export import export_dataset
    from territoria.publication.formats import get_format

    ws = open_workspace(workspace)
    dest = export_destination(dataset, get_format(fmt).extension, output)
    plan = build_plan(ws)
    with ws.engine() as engine:
        rows = export_dataset(
            plan, engine, dataset, fmt, dest, purpose=purpose, who=operator_name(), audit=audit_log(ws)
        )
    console.print(f"[green]✓[/] {counted(rows, 'row')} of {dataset} written to {dest}")
