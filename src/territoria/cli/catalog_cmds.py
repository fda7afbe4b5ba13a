"""catalog list | show | dcat | orphans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, audit_log, console, fmt_int, open_workspace, operator, output_file
from territoria.core.errors import NotFoundError
from territoria.core.suggest import did_you_mean
from territoria.core.wording import counted
from territoria.pipelines import build_plan
from territoria.pipelines.config_check import plan_levels
from territoria.pipelines.spec import IndicatorStep
from territoria.publication.dcat import dcat_catalog, with_access_rights
from territoria.publication.snapshot import published_columns
from territoria.workspace.policies import FILE as POLICIES

app = typer.Typer(help="The workspace's datasets: sources, models and indicators.", no_args_is_help=True)


@app.command("list")
def list_(workspace: WorkspaceOpt = None) -> None:
    """Every dataset with its layer, access level and publisher."""
    ws = open_workspace(workspace)
    entries = ws.entries()
    plan = build_plan(ws)
    table = Table("dataset", "layer", "title", "access", "frequency", "publisher / pack")
    for key, info in plan.datasets.items():
        if info.layer == "published":
            continue
        entry = entries.get(key)
        synthetic = " [magenta](synthétique)[/]" if entry and entry.synthetic else ""
        table.add_row(
            key,
            info.layer,
            info.title + synthetic,
            info.access.value,
            entry.frequency if entry else "on change",
            entry.publisher.name if entry else f"pack {info.pack}",
        )
    console.print(table)


@app.command()
def show(dataset: Annotated[str, typer.Argument(help="Dataset identifier.")], workspace: WorkspaceOpt = None) -> None:
    """Full metadata and Table Schema of one dataset."""
    ws = open_workspace(workspace)
    entries = ws.entries()
    plan = build_plan(ws)
    if dataset in entries:
        console.print_json(json.dumps(entries[dataset].model_dump(mode="json", by_alias=True, exclude_none=True)))
        return
    if dataset in plan.datasets:
        step = plan.steps[plan.producers[dataset]]
        info = plan.datasets[dataset]
        doc: dict[str, Any] = {
            "identifier": dataset,
            "title": info.title,
            "layer": info.layer,
            "access": info.access.value,
            "pack": info.pack,
            "inputs": list(step.inputs),
        }
        if isinstance(step, IndicatorStep):
            doc["indicator"] = step.indicator.model_dump(mode="json")
        console.print_json(json.dumps(doc))
        return
    raise NotFoundError(
        f"unknown dataset {dataset!r}", hint=did_you_mean(dataset, plan.datasets) or "see `territoria catalog list`"
    )


@app.command()
def dcat(
    workspace: WorkspaceOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of printing.")
    ] = None,
    base: Annotated[str, typer.Option(help="Base URI of the published catalog.")] = "urn:territoria",
) -> None:
    """The catalog as DCAT-AP 3 JSON-LD, for data.gouv.fr or data.europa.eu harvesters."""
    ws = open_workspace(workspace)
    if output:
        output_file(output)
    plan = build_plan(ws)
    # the access rights the API enforces: a dataset made from restricted inputs is not announced public
    columns = published_columns(ws.private)
    levels = {name: level.effective.value for name, level in plan_levels(plan, ws.root / POLICIES, columns).items()}
    doc = with_access_rights(dcat_catalog(ws, plan, base), levels)
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"[green]✓[/] {counted(len(doc['dcat:dataset']), 'dataset')} written to {output}")
    else:
        print(text)


@app.command()
def orphans(
    drop: Annotated[bool, typer.Option("--drop", help="Drop the tables listed (asks first unless --yes).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Tables the store keeps for datasets the plan no longer produces, and drop them.

    A source file removed from sources/, a pack disabled in territory.yaml or a model taken out
    of a pack leaves its tables in the store: nothing reads or publishes them any more, but their
    rows stay, personal ones included, out of reach of `territoria retention`.

    With --drop they are dropped, all or none, and the drop is recorded in the audit log
    (`territoria users audit`). The run records are kept: enabling the dataset again rebuilds
    its tables at the next run, and a table under statistical secrecy still hides what its
    earlier publications hid.

    Examples:

        territoria catalog orphans -w rennes

        territoria catalog orphans -w rennes --drop --yes
    """
    from territoria.core.vocab import AccessLevel
    from territoria.pipelines.orphans import drop_orphans
    from territoria.pipelines.orphans import orphans as find_orphans

    ws = open_workspace(workspace)
    plan = build_plan(ws)
    with ws.engine() as engine:
        found = find_orphans(engine, plan)
        if not found:
            console.print("[green]✓[/] every table of the store belongs to a dataset of the plan")
            return
        table = Table("table", "rows")
        for orphan in found:
            table.add_row(orphan.label, fmt_int(orphan.rows))
        console.print(table)
        if not drop:
            console.print(
                f"{counted(len(found), 'table')} no dataset of the plan produces: "
                "`territoria catalog orphans --drop` drops them"
            )
            return
        if not yes and not typer.confirm(f"Drop {counted(len(found), 'table')}?", default=False):
            console.print("nothing dropped")
            raise typer.Exit(1)
        detail = {"tables": {o.label: o.rows for o in found}}
        audit_log(ws).record(operator(), "catalog:drop-orphans", None, AccessLevel.personal, None, detail)
        drop_orphans(engine, found)
    console.print(f"[green]✓[/] {counted(len(found), 'table')} dropped; recorded in the audit log")
