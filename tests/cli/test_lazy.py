"""``territoria --help`` and ``version`` stay fast: the entry point imports no command module,
and the summaries it lists without importing them are the commands' own."""

from __future__ import annotations

import subprocess
import sys

import typer

from territoria.cli.main import COMMANDS, LazyGroup, app, load_module_commands

HEAVY = ("duckdb", "pyarrow", "numpy", "scipy", "fastapi", "uvicorn", "rich.progress", "territoria.workspace")


def test_the_entry_point_imports_nothing_heavy() -> None:
    code = (
        "import sys, territoria.cli.main as m\n"
        "m.app(['--help'], standalone_mode=False)\n"
        f"print([n for n in {HEAVY!r} if n in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_listed_summaries_are_the_commands_help() -> None:
    for name, (module, summary) in COMMANDS.items():
        command = load_module_commands(module)[name]
        assert command.get_short_help_str(limit=500) == summary, name


def test_every_command_module_command_is_listed() -> None:
    for module in {m for m, _ in COMMANDS.values()}:
        assert set(load_module_commands(module)) <= set(COMMANDS), module


def test_a_lazy_command_runs_and_an_unknown_one_suggests() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    assert group.get_command(typer.Context(group), "nope") is None
    from typer.testing import CliRunner

    typo = CliRunner().invoke(app, ["statsu"], env={"COLUMNS": "200"})
    assert typo.exit_code == 2 and "No such command 'statsu'" in typo.output
