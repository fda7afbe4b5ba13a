"""init, demo, reference."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from territoria.cli.common import console, fmt_int, new_folder
from territoria.core.wording import counted, noun

# Each command imports what it runs: loading this module does not load the engines.


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(demo)
    app.command()(reference)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    epci: Annotated[str | None, typer.Option(help="SIREN of the EPCI, e.g. 243500139 for Rennes Métropole.")] = None,
    communes: Annotated[str | None, typer.Option(help="Comma-separated INSEE codes, e.g. 35238,35047.")] = None,
    departement: Annotated[
        str | None,
        typer.Option(
            help="Every commune of a département, by its code: 01-95, 2A or 2B (Corsica), 971-974 or 976 "
            "(overseas); comma-separated for several, e.g. 35 or 2A,2B."
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="Every commune of a region, by its INSEE code: 11-94 in metropolitan France (e.g. 53 Bretagne, "
            "94 Corse), 01-04 and 06 overseas; comma-separated for several."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Name of the territory (default: the EPCI's, the département's or the region's)."),
    ] = None,
    pack: Annotated[list[str] | None, typer.Option("--pack", help="Use-case pack to enable (repeatable).")] = None,
    force: Annotated[bool, typer.Option(help="Rewrite an existing workspace's configuration (data is kept).")] = False,
) -> None:
    """Create a workspace for any French territory, offline.

    Examples:

        territoria init rennes --epci 243500139

        territoria init mes-communes --communes 35238,35047 --name "Rennes et Bruz"

        territoria init ille-et-vilaine --departement 35

        territoria init bretagne --region 53

    --epci, --communes, --departement and --region may be combined: the territory is every commune
    they name.
    """
    from territoria.reference.referential import referential
    from territoria.workspace import init_workspace

    codes = [c for c in (communes or "").split(",") if c.strip()]
    deps = [d for d in (departement or "").split(",") if d.strip()]
    regions = [r for r in (region or "").split(",") if r.strip()]
    ws = init_workspace(
        new_folder(directory),
        epci=epci,
        communes=codes or None,
        departements=deps or None,
        regions=regions or None,
        name=name,
        packs=pack,
        force=force,
    )
    cfg = ws.config
    console.print(f"[green]✓[/] workspace [bold]{cfg.name}[/] created in {ws.root}")
    console.print(f"  {counted(len(cfg.communes), 'commune')}, packs: {', '.join(cfg.packs)}")
    if cfg.communes_without_boundary:
        ref = referential()
        missing = ", ".join(f"{c} {ref.communes[c].nom}" for c in cfg.communes_without_boundary)
        console.print(
            f"[yellow]![/] {counted(len(cfg.communes_without_boundary), 'commune')} "
            f"{noun(len(cfg.communes_without_boundary), 'has', 'have')} no boundary in the 2018 referential "
            f"(created since): {missing}. Maps will show them as missing; totals still count them."
        )
    console.print(f"  next: [bold]territoria run -w {directory}[/]")


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder of the demo workspace.")] = Path("demo"),
    force: Annotated[bool, typer.Option(help="Rebuild the configuration of an existing demo workspace.")] = True,
) -> None:
    """Build the Rennes Métropole workspace (EPCI 243500139, 43 communes) with every pack and run it end to end."""
    from territoria.cli.pipeline_cmds import run_with_progress
    from territoria.cli.run_display import print_summary
    from territoria.workspace import init_demo_workspace

    ws = init_demo_workspace(new_folder(directory), force=force)
    console.print(
        f"[green]✓[/] demo workspace {ws.root} ({ws.config.name}, {counted(len(ws.config.communes), 'commune')}, "
        f"packs: {', '.join(ws.config.packs)})"
    )
    summary = run_with_progress(ws, only=None, force=False, command="demo")
    print_summary(summary)
    if summary.status != "success":
        raise typer.Exit(1)
    console.print(
        f"\nExplore it: [bold]territoria status -w {directory}[/], "
        f"[bold]territoria lineage densite_population -w {directory}[/]"
    )


def reference(
    search: Annotated[
        str | None, typer.Option(help="Find regions, départements, EPCIs and communes by name, with their codes.")
    ] = None,
    missing: Annotated[bool, typer.Option(help="List the communes that have no 2018 boundary.")] = False,
) -> None:
    """Show the shipped national referential: vintages, counts, attributions."""
    from rich.table import Table

    from territoria.reference.referential import referential

    ref = referential()
    if search:
        table = Table("kind", "code", "name")
        for kind, code, label in ref.search(search, limit=30):
            table.add_row(kind, code, label)
        console.print(table)
        return
    if missing:
        table = Table("code", "commune", "zone", title="Current communes without a 2018 boundary")
        for m in ref.vintages["communes_without_boundary"]:
            table.add_row(m["code"], m["nom"], m["zone"])
        console.print(table)
        return
    table = Table("dataset", "vintage", "producer", "licence", "counts")
    for key in ("communes", "boundaries"):
        v = ref.vintages[key]
        counts = ", ".join(f"{k} {fmt_int(n)}" for k, n in v["counts"].items())
        table.add_row(v["name"], str(v.get("version") or v["vintage"]), v["producer"], v["licence"], counts)
    console.print(table)
    console.print(
        "Communes merged since 2018 are rebuilt from their former communes; "
        "`--missing` lists those without any boundary."
    )
