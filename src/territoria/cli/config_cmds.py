"""config validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from territoria.cli.common import WorkspaceOpt, console
from territoria.core.wording import counted

app = typer.Typer(help="Check a workspace's configuration.", no_args_is_help=True)


@app.command()
def validate(
    workspace: WorkspaceOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (keys in docs/quickstart.md).")
    ] = False,
) -> None:
    """Check territory.yaml, sources/*.yaml, policies.yaml and the packs without touching data.

    One line per problem, ``file:line: message — how to fix it``, the form editors and CI
    annotations jump to; the exit code is 1 when there is any.
    """
    from rich.markup import escape

    from territoria.pipelines.config_check import check_workspace  # imported on use: it loads every pack
    from territoria.publication.snapshot import published_columns
    from territoria.workspace.workspace import PRIVATE

    root = workspace or Path(".")
    problems = check_workspace(root, published_columns(root / PRIVATE))
    if as_json:
        doc = {
            "valid": not problems,
            "problems": [
                {"file": p.file, "line": p.line, "slug": p.slug, "message": p.message, "hint": p.hint} for p in problems
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    elif not problems:
        console.print("[green]✓[/] configuration is valid")
    else:
        for p in problems:
            console.print(
                f"[bold]{escape(p.where)}[/]: {escape(p.message)}" + (f" — {escape(p.hint)}" if p.hint else ""),
                soft_wrap=True,
            )
        console.print(f"[red]{counted(len(problems), 'problem')}[/]")
    if problems:
        raise typer.Exit(1)
