"""Counts in what the CLI prints agree with their number: "1 row", "2 rows", "0 rows"."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.core.wording import counted, grouped, noun

from .conftest import Territoria


@pytest.mark.parametrize(
    ("n", "singular", "plural", "said"),
    [
        (0, "row", None, "0 rows"),
        (1, "row", None, "1 row"),
        (2, "row", None, "2 rows"),
        (12345, "row", None, "12\u202f345 rows"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_counted_takes_the_singular_for_one_only(n: int, singular: str, plural: str | None, said: str) -> None:
    assert counted(n, singular, plural) == said
    assert noun(n, "has", "have") == ("has" if n == 1 else "have")


def test_grouped_takes_the_separator_of_a_file_format() -> None:
    """The territory pack's demo population CSV groups thousands as INSEE does, with a space."""
    assert grouped(1234567) == "1\u202f234\u202f567"
    assert grouped(1234567, " ") == "1 234 567" and grouped(999, " ") == "999"


def test_one_commune_and_one_row_are_singular(territoria: Territoria, tmp_path: Path) -> None:
    root = tmp_path / "one"
    made = territoria("init", str(root), "--communes", "35238", "--pack", "territory")
    assert made.code == 0 and "1 commune, packs: territory" in made.text, made.text
    assert territoria("run", "-w", str(root)).code == 0
    exported = territoria("export", "communes", "-w", str(root), "-o", str(tmp_path / "c.csv"))
    assert exported.code == 0 and "1 row of communes written" in exported.text, exported.text
