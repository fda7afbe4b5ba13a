"""A workspace file that exists but is not a file (a folder, a broken symbolic link, a FIFO) is a
configuration error from every command that reads it, never "absent": an unreadable
``policies.yaml`` taken as "no policies" would serve the data under the default access rules."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from territoria.workspace import Workspace, init_workspace

from .conftest import Territoria


def _folder(path: Path) -> str:
    path.mkdir()
    return "is a folder, not a file"


def _broken_link(path: Path) -> str:
    path.symlink_to(path.parent / "gone.yaml")
    return f"is a symbolic link to {path.parent / 'gone.yaml'}, which does not exist"


def _fifo(path: Path) -> str:  # reading it would block the command forever
    os.mkfifo(path)
    return "is a named pipe (FIFO), not a file"


MISPLACED: dict[str, Callable[[Path], str]] = {"folder": _folder, "broken-link": _broken_link, "fifo": _fifo}

#: a file of the workspace, and a command that reads it
CASES = [
    ("policies.yaml", ["config", "validate"]),
    ("policies.yaml", ["run"]),
    ("policies.yaml", ["serve", "--port", "0"]),
    ("territory.yaml", ["config", "validate"]),
    ("territory.yaml", ["status"]),
    ("sources/population-communes.yaml", ["catalog", "list"]),
    ("sources/population-communes.yaml", ["config", "validate"]),
    ("sensors/devices.yaml", ["sensors", "replay", "events.jsonl"]),
    (".territoria/access.sqlite", ["users", "list"]),
]


def _replace(ws: Workspace, name: str, how: str) -> tuple[Path, str]:
    target = ws.root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    return target, MISPLACED[how](target)


@pytest.mark.parametrize("how", sorted(MISPLACED))
@pytest.mark.parametrize(("name", "command"), CASES)
def test_a_file_that_is_not_a_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, territoria: Territoria, name: str, command: list[str], how: str
) -> None:
    ws = init_workspace(tmp_path / "ws", epci="243500139")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "events.jsonl").write_text("{}\n", encoding="utf-8")
    target, why = _replace(ws, name, how)
    out = territoria(*command, "--workspace", str(ws.root))
    assert f"{target} {why}" in out.text, out.text
    assert "Traceback" not in out.text and "Usage" not in out.text and "serving" not in out.text
    assert out.code == (1 if command[:2] == ["config", "validate"] else 2), out.text


@pytest.mark.parametrize("how", ["file", "broken-link"])
def test_a_sources_path_that_is_not_a_folder_says_so(tmp_path: Path, territoria: Territoria, how: str) -> None:
    """Not "nothing produces population-communes": the real cause, the path and what to do."""
    ws = init_workspace(tmp_path / "ws", epci="243500139")
    shutil.rmtree(ws.sources_dir)
    if how == "file":
        ws.sources_dir.write_text("population-communes\n", encoding="utf-8")
        why = "is a file, not a folder"
    else:
        ws.sources_dir.symlink_to(tmp_path / "elsewhere")
        why = f"is a symbolic link to {tmp_path / 'elsewhere'}, which does not exist"
    for command in (["run"], ["config", "validate"], ["catalog", "list"]):
        out = territoria(*command, "--workspace", str(ws.root))
        assert f"{ws.sources_dir} {why}" in out.text, out.text
        assert "nothing produces" not in out.text and "Traceback" not in out.text and "Usage" not in out.text
        assert out.code == (1 if command[0] == "config" else 2), out.text
