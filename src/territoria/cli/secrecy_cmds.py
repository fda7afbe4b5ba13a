"""territoria secrecy: audit the published tables against an outsider who solves their margins (one
publication, and the current one with the one before), and forget a dataset's secrecy memory."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, audit_log, console, fmt_int, open_workspace, operator
from territoria.core.errors import UserError
from territoria.core.suggest import did_you_mean
from territoria.engines.base import Engine
from territoria.engines.registry import open_engine
from territoria.governance.secrecy.adversary import AuditReport, PublishedTable, audit
from territoria.governance.secrecy.adversary.across import AcrossReport, across_publications
from territoria.governance.secrecy.adversary.links import linked
from territoria.governance.secrecy.groups import group_shares
from territoria.governance.secrecy.guard import key_columns
from territoria.governance.secrecy.rules import load_ruleset
from territoria.ledger import PRIMARY_KINDS, cell_kind, suppressed_cells
from territoria.pipelines.plan import build_plan
from territoria.pipelines.spec import DatasetInfo
from territoria.workspace import Workspace

app = typer.Typer(help="Statistical secrecy: what an outsider can prove about suppressed cells.", no_args_is_help=True)


def _statuses(engine: Engine, dataset: str, keys: list[str]) -> dict[tuple[object, ...], str]:
    return {tuple(c["cell"].get(k) for k in keys): cell_kind(c) for c in suppressed_cells(engine, dataset)}


def published_tables(ws: Workspace, engine: Engine) -> tuple[list[PublishedTable], list[AcrossReport], list[str]]:
    """Every published table with a statistical rule set that declares an additive structure,
    with its unprotected rows (the truth) and the status of its suppressed cells; each checked
    with its previous publication when the ledger has that one's report; and notes on the
    tables left out."""
    plan = build_plan(ws)
    policies = ws.policies()
    tables, across, notes = [], [], []
    for info in plan.datasets.values():
        if info.layer != "published" or not (info.secrecy or "").startswith("statistical."):
            continue
        ruleset = load_ruleset((info.secrecy or "").split(".", 1)[1], policies)
        source = plan.datasets[info.name]
        if ruleset.secondary is None:
            notes.append(f"{info.name}: rule set {ruleset.name} declares no margins (nothing to solve)")
            continue
        if not engine.table_exists(info.schema, info.name):
            notes.append(f"{info.name}: not published yet (run `territoria run`)")
            continue
        rows = engine.fetch_arrow(f"SELECT * FROM {info.qualified}")
        truth = (
            engine.fetch_arrow(f"SELECT * FROM {source.qualified}")
            if engine.table_exists(source.schema, source.name)
            else None
        )
        keys = key_columns(ruleset, rows.column_names)
        status = _statuses(engine, info.name, keys)
        tables.append(PublishedTable.from_ruleset(info.name, rows, ruleset, truth=truth, status=status))
        both = across_publications(engine, info.name, rows, ruleset, keys)
        if both is not None:
            across.append(both)
    return tables, across, notes


def run_audits(tables: list[PublishedTable], exact: bool = False) -> list[AuditReport]:
    """Each table on its own, then each table with every table that shares cells with it."""
    reports = [audit([t], exact=exact) for t in tables]
    for t in tables:
        group = linked(t, [o for o in tables if o is not t])
        if group:
            reports.append(audit(group, exact=exact))
    return reports


def _share(report: AuditReport) -> str:
    narrow = report.narrowest
    if narrow is None or narrow.share is None or math.isinf(narrow.share):
        return "—"
    return f"{100 * narrow.share:.2f} %"


#: the report's columns after ``tables``: short headers so that the table fits 80 columns
COLUMNS = ("sup-\npressed", "ex-\nposed", "dis-\nclosed", "primary\ndiscl.", "weak", "narrow-\nest", "time")


def show(reports: list[AuditReport], notes: list[str]) -> None:
    """One row per audit; the tables of a union one per line, never cut (the other columns wrap)."""
    table = Table(
        title="secrecy audit: what an outsider proves from the published margins",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    names = [name for r in reports for name in r.tables]
    table.add_column("tables", no_wrap=True, min_width=max((len(n) + 2 for n in names), default=6))
    for header in COLUMNS:
        table.add_column(header, justify="right", overflow="fold", min_width=max(map(len, header.split("\n"))))
    for r in reports:
        table.add_row(
            " +\n".join(r.tables),
            fmt_int(r.suppressed),
            fmt_int(r.exposed),
            fmt_int(r.count("disclosed")),
            fmt_int(len(r.disclosed_primary)),
            fmt_int(r.count("weak")),
            _share(r),
            f"{r.seconds:.1f}s",
        )
    console.print(table)
    for note in notes:
        console.print(f"[dim]{note}[/]")
    console.print(
        "[dim]exposed: pinned inside ±protection of its value on both sides (disclosed: to the published "
        "precision); weak: on one side; narrowest: the smallest interval width as a share of the value[/]"
    )


def show_across(across: list[AcrossReport]) -> None:
    """The current publication of each table checked with the one before it."""
    if not across:
        return
    table = Table(
        title="secrecy audit across publications: what the previous and the current publication determine together",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("table", no_wrap=True)
    for header in ("previous\npublished", "hidden\nbefore", "hidden\nnow", "primary\ndeterm.", "secondary\ndeterm."):
        table.add_column(header, justify="right", overflow="fold")
    for r in across:
        mark = "[red]" if r.primary else ""
        table.add_row(
            r.dataset,
            str(r.previous_at)[:16],
            fmt_int(r.hidden_before),
            fmt_int(r.hidden_now),
            f"{mark}{fmt_int(r.primary)}",
            fmt_int(r.secondary),
        )
    console.print(table)
    for r in across:
        for publication, status, cell in r.examples:
            shown = ", ".join(f"{k}={v}" for k, v in cell.items())
            mark = "[red]✗[/]" if status in PRIMARY_KINDS else "[yellow]![/]"
            console.print(
                f"{mark} {r.dataset}: {status} cell {shown}, hidden by the {publication} publication, determined"
            )
    console.print(
        "[dim]determined: a cell one publication hid whose value follows from the two together (shown by the "
        "other, or solved from both sets of margins), cells taken as unchanged between the two publications[/]"
    )


@app.command("audit")
def audit_cmd(
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output (exposed cells listed).")] = False,
    exact: Annotated[
        bool, typer.Option(help="Solve every cell's interval, even of cells already shown protected.")
    ] = False,
) -> None:
    """Solve, for each suppressed cell, the least and greatest value consistent with every published
    margin (per table, and across tables that publish the same cells); then check each table's
    current publication with its previous one (when the ledger kept that one's report): a primary
    cell the two determine together is reported. Exit 1 if a cell is exposed or so determined."""
    ws = open_workspace(workspace)
    with ws.lock():
        engine = open_engine(ws.config.engine, ws.store_dir, read_only=True, **ws.config.engine_options)
        try:
            tables, across, notes = published_tables(ws, engine)
        finally:
            engine.close()
    reports = run_audits(tables, exact)
    if as_json:
        out = {"reports": [r.as_dict() for r in reports], "across": [a.as_dict() for a in across], "notes": notes}
        print(json.dumps(out, default=str, indent=2))
    else:
        show(reports, notes)
        show_across(across)
    if any(r.exposed for r in reports) or any(a.primary for a in across):
        raise typer.Exit(1)


@app.command("forget")
def forget_cmd(
    dataset: Annotated[str, typer.Argument(help="The published dataset whose secrecy memory is forgotten.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required; recorded in the audit log with who and when).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Forget what DATASET's last publication hid: the next run decides its suppressions afresh.

    Every publication keeps hidden what the one before hid, so a rule relaxed on purpose (a lower
    threshold decided by the statistical officer) publishes nothing more until this reset.

    **Risk (differencing):** the next publication may show cells the previous one hid. Anyone who
    kept the previous publication can then compare the two and get back small cells that are still
    secret. After the next run, `territoria secrecy audit` checks the new publication against the
    forgotten one and lists what the two determine.

    The datasets sharing cells with DATASET are forgotten with it (one decision for the group).
    Who, when and why go to the workspace's audit log (`territoria users audit`) before anything
    is forgotten; a reason is required, and the command asks for confirmation unless `--yes`."""
    from territoria.core.vocab import AccessLevel
    from territoria.governance.secrecy import forget as memory

    ws = open_workspace(workspace)
    memory.required_reason(dataset, reason)  # refused before anything is read or asked
    info, steps = _protected(ws, dataset)
    with ws.engine() as engine:
        found = memory.remembered(engine, list(steps))
        if found and not yes:
            for m in found:
                console.print(
                    f"{m.dataset}: {fmt_int(m.primary)} primary, {fmt_int(m.secondary)} secondary and "
                    f"{fmt_int(m.remembered)} remembered cells hidden"
                )
            console.print(
                "[yellow]the next publication may show cells the previous one hid: whoever kept the previous "
                "publication can get secret cells back by difference[/]"
            )
            if not typer.confirm("Forget, and let the next run decide afresh?", default=False):
                console.print("nothing forgotten")
                raise typer.Exit(1)
        done = memory.forget(engine, audit_log(ws), operator(), dataset, AccessLevel(info.access), reason, steps)
    names = ", ".join(m.dataset for m in done)
    console.print(f"[green]✓[/] forgotten: {names}; recorded in the audit log (`territoria users audit`)")
    console.print(
        "the next `territoria run` decides their suppressions afresh; then run `territoria secrecy audit`, "
        "which checks the new publication against the forgotten one"
    )


def _protected(ws: Workspace, dataset: str) -> tuple[DatasetInfo, dict[str, str]]:
    """``dataset``'s published entry and the publish step of it and of every dataset sharing cells
    with it; a clear error when it is not a published dataset under statistical secrecy."""
    plan = build_plan(ws)
    protected = {
        i.name: i
        for i in plan.datasets.values()
        if i.layer == "published" and (i.secrecy or "").startswith("statistical.")
    }
    if dataset not in protected:
        raise UserError(
            f"{dataset!r} is not a published dataset protected by statistical secrecy",
            hint=did_you_mean(dataset, protected) or f"protected datasets: {', '.join(sorted(protected)) or 'none'}",
        )
    members, _ = group_shares(dataset, ws.policies())
    names = sorted({dataset, *(m for m in members if m in protected)})
    return protected[dataset], {n: plan.producers[f"published.{n}"] for n in names}
