"""Running the `sh` lines of a docs page as a user types them (see the ``doc_shell`` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: the first line of the docs pages that work on the demo, and the folder it builds
DEMO_LINE, DEMO_DIR = "territoria demo demo", "demo"
Shell = Callable[[str, Path, dict[str, str], float], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class CliDemo:
    """The session's real run of `territoria demo demo` (the ``cli_demo`` fixture)."""

    root: Path
    output: subprocess.CompletedProcess[str]


def shell_env(**extra: str) -> dict[str, str]:
    """The environment of a docs page's `sh` lines: the venv's commands first on PATH."""
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return {**os.environ, "PATH": path, **extra}


def sh(line: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
