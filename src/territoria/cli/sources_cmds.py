"""sources add | check | status."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from territoria.catalog.model import DatasetEntry
from territoria.cli.common import (
    WorkspaceOpt,
    console,
    err_console,
    open_workspace,
    print_not_published,
    print_to_fill,
)
from territoria.connectors.checking import check_source
from territoria.connectors.propose import SCHEMA_CATALOG, propose
from territoria.core.errors import ConfigError, TerritoriaError, UserError
from territoria.ledger import ensure_meta, source_state
from territoria.pipelines.readiness import indicators_not_published, not_published, sources_status
from territoria.validation.metadata import placeholders

app = typer.Typer(
    help="A workspace's sources: propose one from a URL, check which changed, see what is missing.",
    no_args_is_help=True,
)


@app.command()
def add(
    url: Annotated[str, typer.Argument(help="Portal page or API URL, file URL, or postgresql://...#table.")],
    identifier: Annotated[
        str | None, typer.Option("--id", help="Dataset identifier (default: from the source).")
    ] = None,
    schema_catalog: Annotated[
        str, typer.Option(help="schema.data.gouv.fr catalog used to follow a resource's schema reference.")
    ] = SCHEMA_CATALOG,
    force: Annotated[bool, typer.Option(help="Overwrite an existing sources/<id>.yaml.")] = False,
    licence: Annotated[str | None, typer.Option(help="The data's licence, when the source does not say it.")] = None,
    publisher: Annotated[
        str | None, typer.Option(help="Who publishes the data, when the source does not say it.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Propose `sources/<id>.yaml` from URL: detected kind, metadata, inferred Table Schema. Review it, then run."""
    ws = open_workspace(workspace)
    proposal = propose(url, identifier, schema_catalog, root=ws.root)
    if licence:
        proposal.entry["licence"] = licence
    if publisher:
        proposal.entry["publisher"] = {"name": publisher}
    missing = placeholders(proposal.entry)
    if missing:
        raise UserError(
            f"the source does not say its {' or '.join(missing)}: a dataset without them cannot be reused legally",
            hint="pass "
            + " and ".join(f"--{m} TEXT" for m in missing)
            + " (for instance --licence 'Licence Ouverte 2.0')",
        )
    try:
        DatasetEntry.model_validate(proposal.entry)
    except ValueError as exc:
        raise ConfigError(f"the proposed entry is not valid: {exc}", hint="pass --id with a simple identifier") from exc
    path = ws.sources_dir / f"{proposal.identifier}.yaml"
    if path.exists() and not force:
        raise UserError(f"{path} already exists", hint="pass --force to overwrite it, or --id to choose another name")
    ws.sources_dir.mkdir(exist_ok=True)
    header = f"# Proposed by `territoria sources add {url}`: review the metadata and the schema before running.\n"
    body = yaml.safe_dump(proposal.entry, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")
    console.print(f"wrote [bold]{path.relative_to(ws.root)}[/] ({proposal.entry['source']['kind']})")
    for note in proposal.notes:
        console.print(f"  · {note}")


@app.command()
def check(
    only: Annotated[list[str] | None, typer.Argument(help="Datasets to check (default: every source).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """For every source: changed or not since the last run, without downloading unchanged content."""
    ws = open_workspace(workspace)
    entries = ws.entries()
    unknown = sorted(set(only or []) - set(entries))
    if unknown:
        raise UserError(f"no source named {', '.join(unknown)}", hint="see `territoria catalog list`")
    results: list[dict[str, Any]] = []
    with ws.engine() as engine:
        ensure_meta(engine)
        states = {name: source_state(engine, name) for name in entries}
    for name, entry in entries.items():
        if only and name not in only:
            continue
        try:
            res = check_source(ws, entry, states[name])
            results.append({"dataset": name, "kind": entry.source.kind, "changed": res.changed, "reason": res.reason})
        except TerritoriaError as exc:
            results.append({"dataset": name, "kind": entry.source.kind, "changed": None, "error": exc.message})
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    table = Table("dataset", "kind", "changed", "why")
    label = {True: "[yellow]yes[/]", False: "[green]no[/]", None: "[dim]unknown[/]"}
    for r in results:
        why = f"[red]{r['error']}[/]" if "error" in r else str(r["reason"])
        table.add_row(str(r["dataset"]), str(r["kind"]), label[r["changed"]], why)
    console.print(table)
    if any("error" in r for r in results):
        err_console.print("some sources could not be checked (see above)")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Per pack and source: present, missing, stale or failing, and what to do; then the parameters to fill."""
    from territoria.pipelines import load_plan

    ws = open_workspace(workspace)
    with ws.engine() as engine:
        ensure_meta(engine)
        rows = sources_status(ws, engine)
    to_fill = ws.parameters_to_fill()
    figures = indicators_not_published(plan := load_plan(ws), not_published(ws, plan))
    if as_json:
        doc = {
            "sources": [r.as_dict() for r in rows],
            "parameters_to_fill": to_fill,
            "not_published": {i: cause.as_dict() for cause, indicators in figures.items() for i in indicators},
        }
        print(json.dumps(doc, ensure_ascii=False))
        return
    table = Table("pack", "source", "kind", "state", "what to do")
    style = {"present": "green", "missing": "yellow", "stale": "yellow", "failing": "bold red", "not run": "dim"}
    for r in rows:
        table.add_row(r.pack or "", r.dataset, r.kind, f"[{style[r.state]}]{r.state}[/]", r.todo)
    console.print(table)
    print_not_published(figures)
    print_to_fill(to_fill)
