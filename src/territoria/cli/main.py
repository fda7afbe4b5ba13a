"""Entry point: ``territoria --help`` lists everything a territory's data team does.

Commands are loaded lazily: this module imports no command module, so ``territoria --help``
and ``territoria version`` do not pay for DuckDB, Arrow, FastAPI or SciPy, and each command
imports only what it runs. ``COMMANDS`` names the module of each command and the one line
``--help`` shows for it (``tests/cli/test_lazy.py`` checks it against the command's own help).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Literal

import typer
from typer.core import TyperGroup

from territoria import __version__
from territoria.core.errors import TerritoriaError

#: command -> (module in ``territoria.cli``, summary listed by ``territoria --help``); a module
#: with a ``register(app)`` adds its top-level commands, otherwise its ``app`` is the command group
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("workspace_cmds", "Create a workspace for any French territory, offline."),
    "demo": (
        "workspace_cmds",
        "Build the Rennes Métropole workspace (EPCI 243500139, 43 communes) with every pack and run it end to end.",
    ),
    "reference": ("workspace_cmds", "Show the shipped national referential: vintages, counts, attributions."),
    "run": ("pipeline_cmds", "Fetch what changed, validate, model, compute indicators and publish."),
    "status": ("pipeline_cmds", "Freshness of every dataset: rows, last update, last step status, quarantine."),
    "lineage": (
        "pipeline_cmds",
        "Where a dataset comes from (down to the landed bytes and their source) and what uses it.",
    ),
    "runs": ("pipeline_cmds", "History of runs, or the steps of one run."),
    "export": ("pipeline_cmds", "Export a published dataset (only published, secrecy-protected data ever leaves)."),
    "serve": (
        "serve_cmds",
        "Serve the API, the OGC API Features, the DCAT feed (and the dashboard when installed).",
    ),
    "users": ("serve_cmds", "API tokens: each carries a role (and an organisation for partners)."),
    "audit": ("serve_cmds", "The audit log of reads and refused attempts."),
    "catalog": ("catalog_cmds", "The workspace's datasets: sources, models and indicators."),
    "config": ("config_cmds", "Check a workspace's configuration."),
    "footprint": (
        "footprint_cmds",
        "Energy and CO2e of the data chain itself: by run, use case, dataset; top consumers; trend.",
    ),
    "sources": (
        "sources_cmds",
        "A workspace's sources: propose one from a URL, check which changed, see what is missing.",
    ),
    "sensors": ("sensors_cmds", "LoRaWAN sensors: replay files, listen to the broker, show the store."),
    "up": (
        "daemon_cmds",
        "Keep the workspace fresh: each source at its own pace, changes as they come, API and sensors.",
    ),
    "backup": ("daemon_cmds", "Archive a workspace consistently, even while `territoria up` runs."),
    "restore": (
        "daemon_cmds",
        "Bring a workspace back from a backup archive, every file checked against the manifest.",
    ),
    "secrecy": ("secrecy_cmds", "Statistical secrecy: what an outsider can prove about suppressed cells."),
    "personal": ("personal_cmds", "Personal data: pseudonymisation keys, consent, re-identification."),
    "retention": (
        "personal_cmds",
        "Retention per dataset: what the next enforcement erases, and erase it (signed).",
    ),
    "register": (
        "personal_cmds",
        "The register of processing activities (GDPR article 30), generated from the workspace.",
    ),
}

MARKUP: Literal["markdown"] = "markdown"


def load_module_commands(module_name: str) -> dict[str, Any]:
    """The click commands a command module defines, by name (it is imported here, on first use)."""
    module = importlib.import_module(f"territoria.cli.{module_name}")
    holder = typer.Typer(rich_markup_mode=MARKUP)
    if hasattr(module, "register"):
        module.register(holder)
    else:
        name = next(n for n, (m, _) in COMMANDS.items() if m == module_name)
        holder.add_typer(module.app, name=name)
    return dict(typer.main.get_group(holder).commands)


class LazyGroup(TyperGroup):
    """The top-level group: lists ``COMMANDS`` from the table, imports one when it is run."""

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, summary = COMMANDS[cmd_name]
        if self.listing:
            return typer.core.TyperCommand(cmd_name, help=summary)
        for name, command in load_module_commands(module_name).items():
            self.commands.setdefault(name, command)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # listing the commands asks each for its summary: the table answers, nothing is imported
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="territoria",
    cls=LazyGroup,
    help=(
        "Orchestrate a territory's data for its ecological-transition policies.\n\n"
        "Start with `territoria demo` (Rennes Métropole, end to end), or "
        "`territoria init DIR --epci SIREN` for your own territory, then `territoria run`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=MARKUP,
)


@app.callback()
def territoria() -> None:
    # a callback makes ``app`` a group even though ``version`` is its only eager command
    pass


@app.command()
def version() -> None:
    """Print territoria's version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except TerritoriaError as exc:
        from territoria.cli.common import err_console

        err_console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}")
        sys.exit(2 if not exc.transient else 3)


if __name__ == "__main__":
    main()
