"""The `sh` examples of docs/energy.md and docs/secrecy.md run as a user would type them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doc_lines import Shell, shell_env

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.slow
@pytest.mark.timeout(900)  # the whole demo build when it is the first to ask for it: minutes on a loaded machine
def test_energy_and_secrecy_doc_examples_run(tmp_path: Path, doc_shell: Shell) -> None:
    env = shell_env()
    for page in ("energy.md", "secrecy.md"):
        for block in re.findall(r"```sh\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL):
            for line in (ln for ln in block.splitlines() if ln.strip()):
                out = doc_shell(line, tmp_path, env, 600)
                assert out.returncode == 0, f"{page}: `{line}` failed:\n{out.stdout}\n{out.stderr}"
    assert (tmp_path / "trajectoire.csv").read_text(encoding="utf-8").startswith("indicator,version,mesh,code")
    assert "secondary" in out.stdout and "energie_cellules" in out.stdout
