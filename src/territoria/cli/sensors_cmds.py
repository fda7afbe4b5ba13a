"""territoria sensors replay | listen | status."""

from __future__ import annotations

import functools
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, console, fmt_int, open_workspace
from territoria.core.wording import counted
from territoria.sensors.ingest import IngestReport, open_registry, replay, store_for

app = typer.Typer(help="LoRaWAN sensors: replay files, listen to the broker, show the store.", no_args_is_help=True)


@app.command("replay")
def replay_cmd(
    files: Annotated[list[Path], typer.Argument(help="JSON-lines files (.jsonl or .jsonl.gz) of ChirpStack events.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Ingest uplinks from files through the listener's path (history back-fill, captures).

    Example: territoria sensors replay data/sensors/uplinks.jsonl.gz
    """
    ws = open_workspace(workspace)
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    store = store_for(ws.private)
    for path in files:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} messages"),
            TimeElapsedColumn(), console=console, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task(f"replay {path.name}", total=None)
            report = replay(registry, store, path, progress=functools.partial(progress.advance, task))
        print_report(f"replayed {path}", report)


@app.command()
def listen(
    workspace: WorkspaceOpt = None,
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    host: Annotated[str | None, typer.Option(help="Broker host (default: the registry's `broker.host`).")] = None,
    port: Annotated[int | None, typer.Option(help="Broker port (default: the registry's `broker.port`).")] = None,
) -> None:
    """Subscribe to the ChirpStack v4 topics on the broker named in sensors/devices.yaml and store uplinks."""
    from territoria.sensors.mqtt import listen as run_listener

    ws = open_workspace(workspace)
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    broker = registry.config.broker.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"listening on {broker.host}:{broker.port} (application {broker.application_id}); Ctrl-C stops")

    def status(report: IngestReport, state: Any) -> None:
        quarantined = sum(report.quarantined.values())
        console.print(
            f"  {'connected' if state.connected else 'reconnecting'} · {counted(report.messages, 'message')} · "
            f"{counted(report.stored, 'observation')} · {counted(report.duplicates, 'repeat')} · "
            f"{fmt_int(quarantined)} quarantined",
            highlight=False,
        )

    report = run_listener(registry, store_for(ws.private), stop, broker=broker, seconds=seconds, on_flush=status)
    print_report("listener stopped", report)


@app.command()
def status(workspace: WorkspaceOpt = None) -> None:
    """Counters of the sensor store: observations, repeats, late uplinks, quarantine by reason."""
    ws = open_workspace(workspace)
    store = store_for(ws.private)
    stats = store.stats()
    table = Table("counter", "value")
    for key in ("uplinks", "stored", "duplicates", "late", "out_of_order", "events"):
        table.add_row(key, fmt_int(stats.get(key, 0)))
    for reason, n in sorted(stats.get("quarantined", {}).items()):
        table.add_row(f"quarantined: {reason}", fmt_int(n))
    table.add_row("observation files", fmt_int(len(store.obs_files())))
    console.print(table)


def print_report(title: str, report: IngestReport) -> None:
    console.print(
        f"[green]✓[/] {title}: {counted(report.messages, 'message')}, {counted(report.stored, 'new observation')}, "
        f"{counted(report.duplicates, 'repeat')} ignored, {fmt_int(report.out_of_order)} out of order, "
        f"{fmt_int(report.late)} late"
    )
    for reason, n in sorted(report.quarantined.items()):
        console.print(f"  [yellow]quarantined[/] {fmt_int(n)} × {reason}")
