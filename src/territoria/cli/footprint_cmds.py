"""territoria footprint: what the data chain itself costs in energy and CO2e, and what sobriety saved."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, console, fmt_int, open_workspace
from territoria.core.errors import NotFoundError
from territoria.core.suggest import did_you_mean
from territoria.core.wording import counted
from territoria.footprint.attribution import DatasetCost
from territoria.footprint.params import Band
from territoria.footprint.report import FootprintReport, cost_json, group_json
from territoria.footprint.retention import archive, prune, restore, retention_policy
from territoria.ledger import now

app = typer.Typer(
    help="Energy and CO2e of the data chain itself: by run, use case, dataset; top consumers; trend.",
    no_args_is_help=False,
)

UNITS_WH = [(1e3, "kWh"), (1.0, "Wh"), (1e-3, "mWh"), (1e-6, "µWh"), (1e-9, "nWh")]
UNITS_G = [(1e3, "kg"), (1.0, "g"), (1e-3, "mg"), (1e-6, "µg"), (1e-9, "ng")]


def human(value: float, units: list[tuple[float, str]]) -> tuple[float, str]:
    for scale, unit in units:
        if abs(value) >= scale:
            return scale, unit
    return units[-1]


def fmt_band(b: Band | dict[str, float] | None, units: list[tuple[float, str]] = UNITS_WH) -> str:
    if b is None:
        return "—"
    band = b if isinstance(b, Band) else Band(**b)
    if band.high == 0:
        return "0"
    scale, unit = human(band.value or band.high, units)
    return f"{_num(band.value / scale)} {unit} ({_num(band.low / scale)}–{_num(band.high / scale)})"


def _num(x: float) -> str:
    return f"{x:.0f}" if x >= 100 else f"{x:.3g}"


@app.callback(invoke_without_command=True)
def footprint(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="What one dataset or indicator costs per refresh and month.")
    ] = None,
    by: Annotated[str, typer.Option(help="Group by run, pack (use case), dataset or step.")] = "run",
    top: Annotated[int, typer.Option(help="How many rows (runs, top consumers).")] = 10,
    trend: Annotated[bool, typer.Option(help="Energy per day over --days.")] = False,
    days: Annotated[
        int, typer.Option(min=0, max=3660, help="Window of the trend and of the groupings (0 = everything).")
    ] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Energy and CO2e of the data chain, measured (RAPL) or estimated, always with the method and a band."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = workspace  # `territoria footprint -w DIR prune` works as well as `... prune -w DIR`
        return
    ws = open_workspace(workspace)
    with ws.engine() as engine:
        report = FootprintReport(ws, engine, days=days or None)
    if dataset:
        show_dataset(report, dataset, as_json)
    elif trend:
        show_rows(report.trend(days), ["day", "runs", "energy", "avoided"], "energy per day", as_json)
    elif by == "run":
        show_runs(report, top, as_json)
    elif by in ("pack", "step"):
        rows = report.by_pack(days or None) if by == "pack" else report.top_steps(top, days or None)
        show_rows(rows, ["name", "step_runs", "energy", "co2e", "avoided", "methods"], f"by {by}", as_json)
    elif by == "dataset":
        show_datasets(report, as_json)
    else:
        raise NotFoundError(f"cannot group by {by!r}", hint="use --by run, pack, dataset or step")


def show_runs(report: FootprintReport, limit: int, as_json: bool) -> None:
    runs = report.by_run(limit)
    if as_json:
        print(json.dumps(group_json(runs), indent=1, default=str))
        return
    table = Table("run", "started", "status", "run/skip", "CPU", "energy", "CO2e", "avoided", "method", title="by run")
    for r in runs:
        fp = r["footprint"]
        table.add_row(
            r["run_id"],
            r["started_at"].strftime("%Y-%m-%d %H:%M"),
            r["status"],
            f"{r['steps_run'] or 0}/{r['steps_skipped'] or 0}",
            f"{r['cpu_s'] or 0:.2f}s",
            fmt_band(fp.get("energy_wh")),
            fmt_band(fp.get("co2e_g"), UNITS_G),
            fmt_band((fp.get("avoided") or {}).get("energy_wh")),
            fp.get("method", "—"),
        )
    console.print(table)
    storage = report.storage()
    console.print(
        f"stored: landing {fmt_int(storage['landing_bytes'])} B, archive {fmt_int(storage['archive_bytes'])} B, "
        f"store {fmt_int(storage['store_bytes'])} B → {fmt_band(storage['energy_wh_per_month'])} per month · "
        f"grid {report.intensity_label}"
    )
    for warning in (runs[0]["footprint"].get("warnings") or []) if runs else []:
        console.print(f"[yellow]! budget:[/] {warning}")


def show_rows(rows: list[dict[str, Any]], columns: list[str], title: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(group_json(rows), indent=1, default=str))
        return
    table = Table(*columns, title=title)
    for row in rows:
        cells = []
        for c in columns:
            value = row[c]
            if isinstance(value, Band):
                cells.append(fmt_band(value, UNITS_G if c == "co2e" else UNITS_WH))
            elif isinstance(value, list):
                cells.append(", ".join(value))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console.print(table)


def show_datasets(report: FootprintReport, as_json: bool) -> None:
    costs = report.all_datasets()
    if as_json:
        print(json.dumps([cost_json(c) for c in costs], indent=1, default=str))
        return
    table = Table("dataset", "per refresh (with upstream)", "per month", "CO2e per month", "method", title="by dataset")
    for c in sorted(costs, key=lambda c: -c.monthly_wh.value):
        table.add_row(
            c.dataset,
            fmt_band(c.refresh_wh),
            fmt_band(c.monthly_wh),
            fmt_band(c.monthly_co2e_g, UNITS_G),
            ", ".join(c.methods),
        )
    console.print(table)


def show_dataset(report: FootprintReport, name: str, as_json: bool) -> None:
    cost = report.dataset(name)
    if cost is None:
        raise NotFoundError(
            f"no footprint for {name!r}: no run has built it yet, or it does not exist",
            hint=did_you_mean(name, report.datasets()) or "run `territoria run` first",
        )
    if as_json:
        print(json.dumps(cost_json(cost), indent=1, default=str))
        return
    print_cost(report, cost)


def print_cost(report: FootprintReport, cost: DatasetCost) -> None:
    when = cost.last_refresh_at.strftime("%Y-%m-%d %H:%M") if cost.last_refresh_at else "—"
    console.print(f"[bold]{cost.dataset}[/] — footprint of the data chain that produces it")
    console.print(
        f"  per month      [bold]{fmt_band(cost.monthly_wh)}[/], {fmt_band(cost.monthly_co2e_g, UNITS_G)} CO2e "
        f"(refreshed at its sources' declared frequency; raw-data storage {fmt_band(cost.storage_wh_per_month)})"
    )
    console.print(
        f"  last refresh   {fmt_band(cost.refresh_wh)}, {fmt_band(cost.refresh_co2e_g, UNITS_G)} CO2e "
        f"on {when} (run {cost.last_refresh_run}), its own step {fmt_band(cost.own_wh)}"
    )
    console.print(
        f"  last 30 days   observed {fmt_band(cost.observed_30d_wh)}; avoided by skipping unchanged work "
        f"{fmt_band(cost.avoided_30d_wh)}"
    )
    console.print(f"  method         {', '.join(cost.methods)} · grid {report.intensity_label}")
    table = Table("step", "share", "per refresh", "refreshes/month", "per month", title="including upstream work")
    for c in cost.contributions:
        table.add_row(
            c.step,
            f"{c.weight:.2f}",
            fmt_band(c.energy_wh),
            f"{c.refreshes_per_month:.3g}",
            fmt_band(c.energy_wh.scale(c.refreshes_per_month)),
        )
    console.print(table)
    for warning in cost.warnings:
        console.print(f"[yellow]! budget:[/] {warning}")


@app.command("prune")
def prune_cmd(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be deleted.")] = False,
) -> None:
    """Delete raw landed versions beyond the retention policy (never what current data came from)."""
    ws = open_workspace(workspace or ctx.obj)
    policy = retention_policy(ws.policies())
    with ws.engine() as engine:
        result = prune(ws.landing, engine, policy, now(), dry_run=dry_run)
    verb = "would free" if dry_run else "freed"
    for sha, size in result.removed:
        console.print(f"  {'-' if not dry_run else '?'} {sha[:16]}… {fmt_int(size)} B")
    console.print(
        f"[green]✓[/] {counted(len(result.removed), 'version')}, {verb} {fmt_int(result.bytes_freed)} B "
        f"(keep {policy.keep_versions} per source"
        + (f" and {counted(policy.days, 'day')}" if policy.days is not None else "")
        + ")"
    )


@app.command("archive")
def archive_cmd(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """Compress (zstd) the raw versions that current data does not come from."""
    ws = open_workspace(workspace or ctx.obj)
    policy = retention_policy(ws.policies())
    with ws.engine() as engine:
        result = archive(ws.landing, engine, policy)
    console.print(
        f"[green]✓[/] {counted(len(result.archived), 'version')} archived: {fmt_int(result.bytes_before)} B → "
        f"{fmt_int(result.bytes_after)} B"
    )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    sha: Annotated[str, typer.Argument(help="sha256 of the archived version.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Bring an archived raw version back into the landing area."""
    ws = open_workspace(workspace or ctx.obj)
    with ws.lock():
        path = restore(ws.landing, sha)
    console.print(f"[green]✓[/] restored {path}")
