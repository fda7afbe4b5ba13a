"""Plausible user mistakes on the command line: each is a message and a hint (or click's usage
error), exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.testing.faults import unreadable
from territoria.workspace import Workspace, init_workspace

from .conftest import Territoria


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", communes=["35238"], name="Rennes")


def test_status_of_a_workspace_never_run(ws: Workspace, territoria: Territoria) -> None:
    """No dataset has a last step yet: the empty status is shown as such (it was rich markup
    closing a tag it never opened)."""
    out = territoria("status", "-w", str(ws.root))
    assert out.code == 0, out.text
    assert "published.communes" in out.text and "never built" in out.text


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "--limit", "-1"],
        ["users", "audit", "--limit", "-1"],
        ["serve", "--port", "70000"],
        ["up", "--port", "-1"],
    ],
)
def test_an_option_out_of_range_is_a_usage_error(ws: Workspace, territoria: Territoria, args: list[str]) -> None:
    out = territoria(*args, "-w", str(ws.root))
    assert out.code == 2 and f"Invalid value for '{args[-2]}'" in out.text, out.text
    assert "greater than or equal to 0" in out.text or "less than or equal to 65535" in out.text


@pytest.mark.parametrize("command", [["catalog", "dcat"], ["backup"], ["register"]])
def test_an_output_that_cannot_be_written(
    ws: Workspace, tmp_path: Path, territoria: Territoria, command: list[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    for output, problem in (
        (tmp_path, f"cannot write {tmp_path}: it is a folder"),
        (a_file / "out", f"cannot write {a_file / 'out'}: {a_file} is a file, not a folder"),
    ):
        out = territoria(*command, "-o", str(output), "-w", str(ws.root))
        assert out.code == 2 and problem in out.text and "hint:" in out.text, out.text
    if command != ["backup"]:  # the backup makes the folders of its archive
        out = territoria(*command, "-o", str(tmp_path / "nowhere" / "out"), "-w", str(ws.root))
        assert out.code == 2 and f"folder {tmp_path / 'nowhere'} does not exist" in out.text, out.text
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", [["init", "--communes", "35238"], ["demo"]])
def test_a_workspace_where_a_file_is(tmp_path: Path, territoria: Territoria, command: list[str]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    for target in (a_file, a_file / "ws"):
        out = territoria(command[0], str(target), *command[1:])
        assert out.code == 2, out.text
        assert f"cannot make the folder {target}: {a_file} is a file, not a folder" in out.text
    assert a_file.read_text(encoding="utf-8") == "x"


def test_a_private_folder_that_is_a_file(ws: Workspace, territoria: Territoria) -> None:
    store = ws.root / ".territoria" / "store"
    store.rmdir()
    store.write_text("", encoding="utf-8")
    out = territoria("runs", "-w", str(ws.root))
    assert out.code == 2, out.text
    assert f"cannot open the workspace {ws.root}" in out.text and f"ls -la {store}" in out.text


def test_a_token_for_no_one(ws: Workspace, territoria: Territoria) -> None:
    """A blank name would be logged as who read the data: refused, and no token is made."""
    out = territoria("users", "add", "  ", "--role", "agent", "-w", str(ws.root))
    assert out.code == 2 and "a token needs the name of who uses it" in out.text, out.text
    listed = territoria("users", "list", "-w", str(ws.root))
    assert listed.code == 0 and "agent" not in listed.text, listed.text


def test_a_lock_file_the_process_may_not_open(ws: Workspace, territoria: Territoria) -> None:
    """Root (the tests' user) opens every file: the kernel's refusal is raised where the lock is
    opened, as it is for a workspace made by another user."""
    lock = ws.root / ".territoria" / "lock"
    with unreadable(lock):
        out = territoria("runs", "-w", str(ws.root))
    assert out.code == 2, out.text
    assert f"cannot take the workspace lock {lock}: Permission denied" in out.text and "hint:" in out.text


def test_a_spill_folder_that_is_a_file(ws: Workspace, territoria: Territoria) -> None:
    """``engine_options.temp_directory`` naming a file: the store is not opened, and says why."""
    (ws.root / "spill").write_text("x", encoding="utf-8")
    config = ws.root / "territory.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "engine_options: {temp_directory: spill}\n", encoding="utf-8")
    out = territoria("run", "-w", str(ws.root))
    assert out.code == 2, out.text
    assert f"engine_options.temp_directory {ws.root / 'spill'} is not a folder territoria can write in" in out.text
    assert "hint:" in out.text and "Traceback" not in out.text
    assert (ws.root / "spill").read_text(encoding="utf-8") == "x"


def test_a_spill_cap_that_is_no_size(ws: Workspace, territoria: Territoria) -> None:
    """``engine_options.max_temp_directory_size`` without a unit: refused before the store opens."""
    config = ws.root / "territory.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "engine_options: {max_temp_directory_size: 10}\n", encoding="utf-8")
    out = territoria("run", "-w", str(ws.root))
    assert out.code == 2, out.text
    assert "engine_options.max_temp_directory_size 10 is not a size" in out.text
    assert "hint:" in out.text and "max_temp_directory_size: 10GB" in out.text and "Traceback" not in out.text
