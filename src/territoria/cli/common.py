"""Shared CLI helpers: workspace option, console, error reporting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from territoria.workspace import Workspace

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $TERRITORIA_WORKSPACE, else the current folder).",
        show_default=False,
    ),
]


def workspace_root(path: Path | None) -> Path:
    """The workspace folder a command is given: ``--workspace``, else $TERRITORIA_WORKSPACE, else here."""
    return path or Path(os.environ.get("TERRITORIA_WORKSPACE", "."))


def open_workspace(path: Path | None) -> Workspace:
    from territoria.workspace import Workspace  # imported on use: `--help` does not load the engines

    return Workspace(workspace_root(path))


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def print_to_fill(to_fill: dict[str, dict[str, str]]) -> None:
    """The territory's own choices still unset (``Workspace.parameters_to_fill``), one line each."""
    for pack, params in to_fill.items():
        for name, meaning in params.items():
            console.print(
                f"[yellow]à renseigner[/] {pack}.{name}: {meaning} (territory.yaml, packs.{pack}.parameters)",
                soft_wrap=True,
            )
