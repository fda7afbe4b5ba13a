"""The suite's per-test timeout: a test that blocks fails instead of hanging CI forever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A reader on a FIFO nobody writes to blocks in open(2) forever: the hang CI used to suffer.
HANGING = """
import os


def test_blocks_forever(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with open(fifo) as f:
        f.read()


def test_after_the_hang():
    assert True
"""


def test_the_suite_has_a_default_timeout(pytestconfig: pytest.Config) -> None:
    assert float(pytestconfig.getini("timeout")) > 0
    assert pytestconfig.getini("timeout_method") == "signal"


def test_a_blocking_test_fails_by_timeout_and_the_session_goes_on(tmp_path: Path) -> None:
    test_file = tmp_path / "test_hangs.py"
    test_file.write_text(HANGING)
    # the project's own configuration (method), with a timeout short enough for a test; its own
    # basetemp, so its rotation of /tmp/pytest-of-<user> never removes this session's directories;
    # only the timeout plugin (the others installed cost seconds of imports, and prove nothing here)
    command = [sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path)]
    command += ["--basetemp", str(tmp_path / "basetemp"), "-p", "no:cacheprovider", "-p", "pytest_timeout"]
    command += ["-o", "timeout=2", "-q", str(test_file)]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Failed: Timeout (>2.0s) from pytest-timeout" in out, out
    assert "FAILED test_hangs.py::test_blocks_forever" in out, out
    # signal method: only the blocked test fails, the session (and fixtures' teardown) goes on
    assert "1 failed, 1 passed" in out, out
