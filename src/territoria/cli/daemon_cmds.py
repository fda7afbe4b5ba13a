"""up, backup, restore: run a workspace as a service, archive it, bring it back."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from territoria.cli.common import PortOpt, WorkspaceOpt, console, open_workspace, output_file
from territoria.core.wording import counted


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(backup)
    app.command()(restore)


def up(
    workspace: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="Address the API listens on.")] = "127.0.0.1",
    port: PortOpt = 8000,
    api: Annotated[bool, typer.Option("--api/--no-api", help="Serve the API in the same process.")] = True,
    sensors: Annotated[
        bool, typer.Option("--sensors/--no-sensors", help="Listen to the sensors' MQTT broker (when declared).")
    ] = True,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log one JSON object per line (on stderr).")] = False,
) -> None:
    """Keep the workspace fresh: each source at its own pace, changes as they come, API and sensors.

    Sources are checked when their declared frequency (or their `operations.schedules` cron
    line in policies.yaml) says so, and at once when their file changes or new sensor
    observations arrive; only what a changed source feeds is rebuilt. /healthz, /readyz and
    /metrics report on it; alerts go out as policies.yaml says. SIGTERM or Ctrl-C stops it
    after the run in progress.
    """
    from territoria.daemon.logs import configure
    from territoria.daemon.supervisor import Supervisor

    configure(log_json)
    ws = open_workspace(workspace)
    supervisor = Supervisor(ws, host=host, port=port, api=api, sensors=sensors)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: supervisor.stop.set())
    supervisor.serve()


def backup(
    output: Annotated[Path, typer.Option("--output", "-o", help="The archive to write (.tar.gz).")],
    workspace: WorkspaceOpt = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a run in progress to finish.")] = 600.0,
) -> None:
    """Archive a workspace consistently, even while `territoria up` runs.

    The store, raw landed payloads, run records, publication, tokens and audit log, sensor
    store, configuration and data files, taken under the workspace lock (a run in progress
    finishes first). `territoria restore` brings it back.
    """
    from territoria.daemon.backup import write_backup

    ws = open_workspace(workspace)
    manifest = write_backup(ws, output_file(output, make_folder=True), wait_seconds=wait)
    files, size = counted(len(manifest["files"]), "file"), counted(manifest["bytes"], "byte")
    console.print(f"[green]✓[/] {output}: {files}, {size}")


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `territoria backup`.")],
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="The new workspace folder (empty or absent).")],
) -> None:
    """Bring a workspace back from a backup archive, every file checked against the manifest."""
    from territoria.daemon.backup import restore_backup

    manifest = restore_backup(archive, workspace)
    console.print(
        f"[green]✓[/] restored {manifest['workspace']} into {workspace} ({counted(len(manifest['files']), 'file')}, "
        f"taken {manifest['taken_at']}); check it with `territoria audit verify -w {workspace}`"
    )
