"""The `sh` blocks of docs/footprint.md run, in order, as a user would type them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doc_lines import Shell, shell_env

DOC = Path(__file__).resolve().parents[2] / "docs" / "footprint.md"


@pytest.mark.slow
@pytest.mark.timeout(900)  # the whole demo build when it is the first to ask for it: minutes on a loaded machine
def test_footprint_doc_examples_run(tmp_path: Path, doc_shell: Shell) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    env = shell_env(COLUMNS="160")
    outputs = []
    for line in (ln for block in blocks for ln in block.splitlines() if ln.strip()):
        out = doc_shell(line, tmp_path, env, 180)
        assert out.returncode == 0, f"`{line}` failed:\n{out.stdout}\n{out.stderr}"
        outputs.append(out.stdout)
    assert '"monthly_wh"' in "".join(outputs)
