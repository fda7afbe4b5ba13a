"""config validate."""

from __future__ import annotations

import typer
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, console
from territoria.pipelines.config_check import check_workspace

app = typer.Typer(help="Check a workspace's configuration.", no_args_is_help=True)


@app.command()
def validate(workspace: WorkspaceOpt = None) -> None:
    """Check territory.yaml, sources/*.yaml, policies.yaml and the packs without touching data."""
    from pathlib import Path

    problems = check_workspace(workspace or Path("."))
    if not problems:
        console.print("[green]✓[/] configuration is valid")
        return
    table = Table("where", "problem", "message", "how to fix")
    for p in problems:
        table.add_row(p.where, p.slug, p.message, p.hint or "")
    console.print(table)
    raise typer.Exit(1)
