from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import SourceError
from territoria.testing.faults import unreadable
from territoria.workspace import Workspace

from .conftest import uplink

A = "a840410000000001"


def test_replay_and_status(sensor_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "capture.jsonl"
    lines = [json.dumps(uplink(A, i, f"2025-07-01T0{i}:00:00Z")) for i in range(5)]
    path.write_text("\n".join([*lines, lines[0], "{oops"]) + "\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["sensors", "replay", str(path), "-w", str(sensor_ws.root)])
    assert result.exit_code == 0, result.output
    assert "10 new observations" in result.output.replace("\u202f", "")
    assert "quarantined 1 × malformed JSON" in result.output
    status = runner.invoke(app, ["sensors", "status", "-w", str(sensor_ws.root)])
    assert status.exit_code == 0 and "duplicates" in status.output


def test_replay_missing_file_is_a_clear_error(sensor_ws: Workspace, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sensors", "replay", str(tmp_path / "nope.jsonl"), "-w", str(sensor_ws.root)])
    assert result.exit_code != 0
    assert "no file" in str(result.exception) or "no file" in result.output


def test_replay_of_an_unreadable_file_is_a_clear_error(sensor_ws: Workspace, tmp_path: Path) -> None:
    """Root (the tests' user here) may read every file: the kernel's refusal is raised where the
    replayed file is opened, as it would be for a file the process may not read."""
    events = tmp_path / "events.jsonl"
    events.write_text("{}\n", encoding="utf-8")
    with unreadable(events):
        result = CliRunner().invoke(app, ["sensors", "replay", str(events), "-w", str(sensor_ws.root)])
    assert isinstance(result.exception, SourceError), result.exception
    assert f"{events} cannot be read: Permission denied" in result.exception.message and result.exception.hint
