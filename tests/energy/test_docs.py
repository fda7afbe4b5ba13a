"""The `sh` examples of docs/energy.md and docs/secrecy.md run as a user would type them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.slow
def test_energy_and_secrecy_doc_examples_run(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    for page in ("energy.md", "secrecy.md"):
        for block in re.findall(r"```sh\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL):
            for line in (ln for ln in block.splitlines() if ln.strip()):
                out = subprocess.run(
                    line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
                )
                assert out.returncode == 0, f"{page}: `{line}` failed:\n{out.stdout}\n{out.stderr}"
    assert (tmp_path / "trajectoire.csv").read_text(encoding="utf-8").startswith("indicator,version,mesh,code")
    assert "secondary" in out.stdout and "energie_cellules" in out.stdout
