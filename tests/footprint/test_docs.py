"""The `sh` blocks of docs/footprint.md run, in order, as a user would type them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "footprint.md"


@pytest.mark.slow
def test_footprint_doc_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    env["COLUMNS"] = "160"
    outputs = []
    for line in (ln for block in blocks for ln in block.splitlines() if ln.strip()):
        out = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, f"`{line}` failed:\n{out.stdout}\n{out.stderr}"
        outputs.append(out.stdout)
    assert '"monthly_wh"' in "".join(outputs)
