"""The Python processes tests start write no bytecode next to the modules they import: a
``__pycache__`` folder created in a package folder changes that folder's stamp, which the plan
cache checks (``pipelines/plan_cache.py``), and leaves files in the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from spawned import bare_env


def _imports_leave(tmp_path: Path, env: dict[str, str]) -> list[str]:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    code = "import pkg; assert pkg.VALUE == 1"
    subprocess.run([sys.executable, "-c", code], check=True, env={**env, "PYTHONPATH": str(tmp_path)}, timeout=60)
    return sorted(p.name for p in package.iterdir())


def test_a_subprocess_inheriting_the_session_environment_writes_no_bytecode(tmp_path: Path) -> None:
    assert _imports_leave(tmp_path, dict(os.environ)) == ["__init__.py"]


def test_a_subprocess_with_a_bare_environment_writes_no_bytecode(tmp_path: Path) -> None:
    assert _imports_leave(tmp_path, bare_env()) == ["__init__.py"]
