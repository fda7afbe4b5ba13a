"""territoria secrecy: audit the published tables against an outsider who solves their margins."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, console, fmt_int, open_workspace
from territoria.engines.base import Engine
from territoria.engines.registry import open_engine
from territoria.governance.secrecy.adversary import AuditReport, PublishedTable, audit
from territoria.governance.secrecy.adversary.links import linked
from territoria.governance.secrecy.guard import key_columns
from territoria.governance.secrecy.rules import load_ruleset
from territoria.ledger import suppressed_cells
from territoria.pipelines.plan import build_plan
from territoria.workspace import Workspace

app = typer.Typer(help="Statistical secrecy: what an outsider can prove about suppressed cells.", no_args_is_help=True)


def _statuses(engine: Engine, dataset: str, keys: list[str]) -> dict[tuple[object, ...], str]:
    return {tuple(c["cell"].get(k) for k in keys): c["status"] for c in suppressed_cells(engine, dataset)}


def published_tables(ws: Workspace, engine: Engine) -> tuple[list[PublishedTable], list[str]]:
    """Every published table with a statistical rule set that declares an additive structure,
    with its unprotected rows (the truth) and the status of its suppressed cells; and notes on
    the tables left out."""
    plan = build_plan(ws)
    policies = ws.policies()
    tables, notes = [], []
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
        status = _statuses(engine, info.name, key_columns(ruleset, rows.column_names))
        tables.append(PublishedTable.from_ruleset(info.name, rows, ruleset, truth=truth, status=status))
    return tables, notes


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


@app.command("audit")
def audit_cmd(
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output (exposed cells listed).")] = False,
    exact: Annotated[
        bool, typer.Option(help="Solve every cell's interval, even of cells already shown protected.")
    ] = False,
) -> None:
    """Solve, for each suppressed cell, the least and greatest value consistent with every published
    margin (per table, and across tables that publish the same cells); exit 1 if a cell is exposed."""
    ws = open_workspace(workspace)
    with ws.lock():
        engine = open_engine(ws.config.engine, ws.store_dir, read_only=True, **ws.config.engine_options)
        try:
            tables, notes = published_tables(ws, engine)
        finally:
            engine.close()
    reports = run_audits(tables, exact)
    if as_json:
        print(json.dumps({"reports": [r.as_dict() for r in reports], "notes": notes}, default=str, indent=2))
    else:
        show(reports, notes)
    if any(r.exposed for r in reports):
        raise typer.Exit(1)
