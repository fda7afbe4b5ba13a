"""Shared CLI helpers: workspace option, console, error reporting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from territoria.core.errors import UserError
from territoria.core.wording import grouped

if TYPE_CHECKING:
    from territoria.governance.access import Principal
    from territoria.governance.audit import AuditLog
    from territoria.pipelines.readiness import NotPublished
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


def operator_name() -> str:
    """Who runs the command, as the audit log names a terminal's user: ``cli:<login>``."""
    from getpass import getuser

    return f"cli:{getuser()}"


def operator() -> Principal:
    """The terminal's user as the principal of an operator command (an administrator)."""
    from territoria.governance.personal.reident import admin

    return admin(operator_name())


def audit_log(ws: Workspace) -> AuditLog:
    """The workspace's audit log (the tamper-evident chain `territoria users audit` reads)."""
    from territoria.governance.access import ACCESS_DB, AccessStore
    from territoria.governance.audit import AuditLog

    return AuditLog(AccessStore(ws.private / ACCESS_DB))


#: a TCP port to listen on (0: the system picks a free one)
PortOpt = Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0 picks a free one).")]


def open_workspace(path: Path | None) -> Workspace:
    from territoria.workspace import Workspace  # imported on use: `--help` does not load the engines

    root = workspace_root(path)
    try:
        return Workspace(root)
    except OSError as exc:  # its private folders are made when it opens: one may be a file, or not ours
        where = exc.filename or root
        raise UserError(
            f"cannot open the workspace {root}: {where}: {exc.strerror or exc}",
            hint=f"the workspace's .territoria/ folders must be folders the user running territoria owns "
            f"(ls -la {where})",
        ) from exc


def _nearest_existing(path: Path) -> Path:
    return next(p for p in (path, *path.parents) if p.exists())


def output_file(path: Path, *, make_folder: bool = False) -> Path:
    """``path`` as a file a command may write: not a folder, in a folder that exists (or, with
    ``make_folder``, that can be made: no file where a folder of it should be)."""
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a folder", hint=f"name a file in it, e.g. {path / 'out'}")
    nearest = _nearest_existing(path.parent)
    if not nearest.is_dir():
        raise UserError(f"cannot write {path}: {nearest} is a file, not a folder", hint="write somewhere else")
    if not make_folder and nearest != path.parent:
        raise UserError(
            f"cannot write {path}: folder {path.parent} does not exist",
            hint=f"create it first (mkdir -p {path.parent}) or write somewhere else",
        )
    return path


def new_folder(path: Path) -> Path:
    """``path`` as a folder a command may create or reuse: no file there, nor where a folder of it should be."""
    nearest = _nearest_existing(path)
    if not nearest.is_dir():
        raise UserError(
            f"cannot make the folder {path}: {nearest} is a file, not a folder",
            hint="choose a folder that does not exist yet, or an existing folder",
        )
    return path


def fmt_int(value: int | None) -> str:
    return "—" if value is None else grouped(value)


def print_not_published(figures: dict[NotPublished, list[str]]) -> None:
    """Indicators no data will come to: their source is not published for the territory
    (``pipelines.readiness.not_published``), one line per source."""
    for cause, indicators in figures.items():
        console.print(
            f"[yellow]no data for this territory[/] {', '.join(indicators)}: {cause.message}"
            f" (source {cause.source}; drop a file of your own there if you have one)",
            soft_wrap=True,
        )


def print_to_fill(to_fill: dict[str, dict[str, str]]) -> None:
    """The territory's own choices still unset (``Workspace.parameters_to_fill``), one line each."""
    for pack, params in to_fill.items():
        for name, meaning in params.items():
            console.print(
                f"[yellow]à renseigner[/] {pack}.{name}: {meaning} (territory.yaml, packs.{pack}.parameters)",
                soft_wrap=True,
            )
