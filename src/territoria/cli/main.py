"""Entry point: ``territoria --help`` lists everything a territory's data team does."""

from __future__ import annotations

import sys

import typer

from territoria import __version__
from territoria.cli import (
    catalog_cmds,
    config_cmds,
    footprint_cmds,
    pipeline_cmds,
    secrecy_cmds,
    sensors_cmds,
    serve_cmds,
    sources_cmds,
    workspace_cmds,
)
from territoria.cli.common import err_console
from territoria.core.errors import TerritoriaError

app = typer.Typer(
    name="territoria",
    help=(
        "Orchestrate a territory's data for its ecological-transition policies.\n\n"
        "Start with `territoria demo` (Rennes Métropole, end to end), or "
        "`territoria init DIR --epci SIREN` for your own territory, then `territoria run`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

workspace_cmds.register(app)
pipeline_cmds.register(app)
serve_cmds.register(app)
app.add_typer(catalog_cmds.app, name="catalog")
app.add_typer(config_cmds.app, name="config")
app.add_typer(footprint_cmds.app, name="footprint")
app.add_typer(sources_cmds.app, name="sources")
app.add_typer(sensors_cmds.app, name="sensors")
app.add_typer(secrecy_cmds.app, name="secrecy")


@app.command()
def version() -> None:
    """Print territoria's version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except TerritoriaError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}")
        sys.exit(2 if not exc.transient else 3)


if __name__ == "__main__":
    main()
