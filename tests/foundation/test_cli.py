"""The command line as a user meets it: help that teaches, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from spawned import bare_env


def territoria(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "territoria.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=bare_env(COLUMNS="200"),
        timeout=120,
    )


def test_help_lists_the_commands() -> None:
    out = territoria("--help")
    assert out.returncode == 0
    for command in ("init", "demo", "run", "status", "lineage", "runs", "export", "catalog", "reference"):
        assert command in out.stdout


def test_unknown_epci_is_a_clear_error(tmp_path: Path) -> None:
    out = territoria("init", str(tmp_path / "w"), "--epci", "24350013")
    assert out.returncode == 2
    assert "unknown EPCI" in out.stderr and "243500139" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "w").exists()


def test_end_to_end_through_the_cli(tmp_path: Path) -> None:
    ws = tmp_path / "w"
    assert territoria("init", str(ws), "--communes", "35238,35047").returncode == 0
    again = territoria("init", str(ws), "--communes", "35238")
    assert again.returncode == 2 and "--force" in again.stderr
    out = territoria("run", "-w", str(ws))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "success" in out.stdout
    status = territoria("status", "-w", str(ws))
    assert "population-communes" in status.stdout
    lineage = territoria("lineage", "densite_population", "-w", str(ws))
    assert "source:data/population-communes.csv" in lineage.stdout
    exported = territoria("export", "population", "-w", str(ws), "-o", str(tmp_path / "p.csv"))
    assert exported.returncode == 0 and (tmp_path / "p.csv").exists()
    wrong = territoria("export", "populatoin", "-w", str(ws))
    assert wrong.returncode == 2 and "did you mean population" in wrong.stderr
    dcat = territoria("catalog", "dcat", "-w", str(ws))
    assert '"dcat:Catalog"' in dcat.stdout
    runs = territoria("runs", "-w", str(ws), "--json")
    assert '"status": "success"' in runs.stdout


def test_reference_command() -> None:
    out = territoria("reference")
    assert out.returncode == 0 and "IGN" in out.stdout and "1" in out.stdout
    found = territoria("reference", "--search", "Rennes Métropole")
    assert "243500139" in found.stdout


def test_not_a_workspace(tmp_path: Path) -> None:
    out = territoria("status", "-w", str(tmp_path))
    assert out.returncode == 2 and "not a territoria workspace" in out.stderr
