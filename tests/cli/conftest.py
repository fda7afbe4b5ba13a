"""The command line as a user runs it: ``territoria.cli.main.main`` in this process (so that a
test may inject a fault), its exit code and everything it printed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from territoria.cli.main import main


class Outcome(NamedTuple):
    code: int
    #: stdout then stderr, every run of white space one space (rich wraps at the console width)
    text: str


Territoria = Callable[..., Outcome]


@pytest.fixture
def territoria(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Territoria:
    def invoke(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["territoria", *args])
        monkeypatch.setenv("COLUMNS", "400")
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:  # anything but a TerritoriaError escapes main()
            main()
        shown = capsys.readouterr()
        code = exited.value.code
        return Outcome(code if isinstance(code, int) else 1, " ".join((shown.out + shown.err).split()))

    return invoke


def assert_refused(out: Outcome, message: str, hint: str, workspace: Path) -> None:
    """A mistake to fix: exit code 2, the message and its hint, no traceback, no workspace written."""
    assert out.code == 2, out.text
    assert message in out.text and f"hint: {hint}" in out.text, out.text
    assert "Traceback" not in out.text
    assert not (workspace / "territory.yaml").exists()
