"""config validate."""

from __future__ import annotations

import typer
from rich.markup import escape

from territoria.cli.common import WorkspaceOpt, console
from territoria.pipelines.config_check import check_workspace

app = typer.Typer(help="Check a workspace's configuration.", no_args_is_help=True)


@app.command()
def validate(workspace: WorkspaceOpt = None) -> None:
    """Check territory.yaml, sources/*.yaml, policies.yaml and the packs without touching data.

    One line per problem, ``file:line: message — how to fix it``, the form editors and CI
    annotations jump to; the exit code is 1 when there is any.
    """
    from pathlib import Path

    problems = check_workspace(workspace or Path("."))
    if not problems:
        console.print("[green]✓[/] configuration is valid")
        return
    for p in problems:
        console.print(
            f"[bold]{escape(p.where)}[/]: {escape(p.message)}" + (f" — {escape(p.hint)}" if p.hint else ""),
            soft_wrap=True,
        )
    console.print(f"[red]{len(problems)} problem{'s' if len(problems) > 1 else ''}[/]")
    raise typer.Exit(1)
