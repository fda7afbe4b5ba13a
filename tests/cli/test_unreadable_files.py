"""A workspace file the process may not read is a clear error from the CLI (which file, why, what
to check), never a traceback: the same for every YAML file a command reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.testing.faults import unreadable
from territoria.workspace import init_workspace

from .conftest import Territoria

#: a file of the workspace, and a command that reads it
CASES = [
    ("territory.yaml", ["status"]),
    ("policies.yaml", ["footprint", "prune", "--dry-run"]),
    ("sources/population-communes.yaml", ["catalog", "list"]),
    ("sensors/devices.yaml", ["sensors", "replay", "events.jsonl"]),
    ("policies.yaml", ["config", "validate"]),
]


@pytest.mark.parametrize(("name", "command"), CASES)
def test_an_unreadable_yaml_file_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, territoria: Territoria, name: str, command: list[str]
) -> None:
    """Root (the tests' user here) may read every file: the kernel's refusal is raised where the
    file is opened, as it would be for a file the process may not read."""
    ws = init_workspace(tmp_path / "ws", epci="243500139")
    target = ws.root / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("devices: []\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "events.jsonl").write_text("{}\n", encoding="utf-8")
    with unreadable(target):
        out = territoria(*command, "--workspace", str(ws.root))
    assert f"{target} cannot be read: Permission denied" in out.text, out.text
    assert "check its permissions and owner" in out.text and "Traceback" not in out.text
    assert out.code == (1 if command[0] == "config" else 2)  # config validate lists problems
