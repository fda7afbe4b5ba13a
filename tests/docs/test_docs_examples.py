"""The `sh` blocks of the docs run, in order, as a user would type them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doc_lines import sh, shell_env

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def sh_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", ["quickstart.md"])
def test_doc_examples_run(page: str, tmp_path: Path) -> None:
    env = shell_env(COLUMNS="160")
    for block in sh_blocks(DOCS / page):
        for line in (ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")):
            out = sh(line, tmp_path, env, 120)
            assert out.returncode == 0, f"{page}: `{line}` failed:\n{out.stdout}\n{out.stderr}"
