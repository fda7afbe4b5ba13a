"""A territory.yaml a team edited by hand: a commune code with a typo (a letter O for a zero) ran,
"successfully", with the commune missing from every figure; the run now stops at the referential
step saying which code and what was probably meant, and `config validate` gives the same hint.
No commune at all was an internal error (ArrowTypeError) and a valid configuration; a code listed
twice (a typo for another commune) passed unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Territoria


def _typo(tmp_path: Path, territoria: Territoria, typed: str = "'35O47'") -> Path:
    root = tmp_path / "ws"
    assert territoria("init", str(root), "--communes", "35238,35047").code == 0
    config = root / "territory.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("'35047'", typed), encoding="utf-8")
    return root


def test_a_run_stops_at_a_code_that_is_no_commune(tmp_path: Path, territoria: Territoria) -> None:
    root = _typo(tmp_path, territoria)
    out = territoria("run", "-w", str(root))
    assert out.code == 1, out.text
    assert "ingest:communes-referentiel: territory.yaml names 1 code that is no commune of the referential: 35O47" in (
        out.text
    )
    assert "hint: 35O47: did you mean 35047 (Bruz)? (a letter O or I for a digit)" in out.text
    assert "Traceback" not in out.text


def test_config_validate_gives_the_line_and_the_commune_meant(tmp_path: Path, territoria: Territoria) -> None:
    root = _typo(tmp_path, territoria)
    out = territoria("config", "validate", "-w", str(root))
    assert out.code == 1
    assert "territory.yaml:6: commune 35O47 is not in the referential — did you mean 35047 (Bruz)?" in out.text


def test_init_names_the_commune_meant(tmp_path: Path, territoria: Territoria) -> None:
    out = territoria("init", str(tmp_path / "ws"), "--communes", "35238,35O47")
    assert out.code == 2 and "hint: did you mean 35047 (Bruz)?" in out.text, out.text
    out = territoria("init", str(tmp_path / "ws"), "--communes", "2AOO4")  # Corsica's A stays a letter
    assert out.code == 2 and "did you mean 2A004 (Ajaccio)?" in out.text, out.text


@pytest.mark.parametrize(
    ("communes", "says"),
    [
        ("[]", "territory.yaml:5: communes: the territory has no commune: list their INSEE codes"),
        ("['35238', '35238']", "territory.yaml:5: communes: listed more than once: 35238; keep one of each"),
    ],
)
def test_no_commune_or_one_twice_is_a_mistake_to_fix(
    tmp_path: Path, territoria: Territoria, communes: str, says: str
) -> None:
    root = tmp_path / "ws"
    assert territoria("init", str(root), "--communes", "35238,35047").code == 0
    config = root / "territory.yaml"
    text = re.sub(r"^communes:\n(- .*\n)+", f"communes: {communes}\n", config.read_text(encoding="utf-8"), flags=re.M)
    config.write_text(text, encoding="utf-8")
    out = territoria("run", "-w", str(root))
    assert out.code == 2 and says in out.text and "internal error" not in out.text, out.text
    out = territoria("config", "validate", "-w", str(root))
    assert out.code == 1 and says in out.text, out.text


def test_codes_typed_without_quotes(tmp_path: Path, territoria: Territoria) -> None:
    """YAML reads an unquoted code as a number: 35238 is taken as the code it is; 01001 is the octal
    number 513, which says to quote the codes (before, both were 'Input should be a valid string')."""
    root = tmp_path / "ws"
    assert territoria("init", str(root), "--communes", "35238,35047").code == 0
    config = root / "territory.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("'35238'", "35238").replace("'35047'", "35047"), encoding="utf-8")
    out = territoria("config", "validate", "-w", str(root))
    assert out.code == 0 and "configuration is valid" in out.text, out.text
    config.write_text(text.replace("'35047'", "01001"), encoding="utf-8")
    out = territoria("config", "validate", "-w", str(root))
    assert out.code == 1, out.text
    assert "513 is a number, not a commune code: write the codes between quotes ('01001')" in out.text
