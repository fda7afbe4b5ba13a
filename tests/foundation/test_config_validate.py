"""`territoria config validate`: every mistake of every file, each with its line and a fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spawned import bare_env
from territoria.catalog.packs import available_packs
from territoria.core.errors import ConfigError
from territoria.core.yamlio import InvalidConfigFile
from territoria.governance.access import AccessPolicy
from territoria.pipelines.config_check import check_workspace
from territoria.workspace import Workspace, init_workspace

THREE_MISTAKES = """\
access:
  open: [public, agent]
  restricted: [agnet, admin]
conventions: []
retension:
  landing: {keep_versions: 3}
footprint:
  grid: FR
  budgett: {run_wh: 1}
"""


def validate_cli(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "territoria.cli.main", "config", "validate", "-w", str(root)],
        capture_output=True,
        text=True,
        env=bare_env(COLUMNS="80"),
        timeout=120,
    )


def test_three_mistakes_in_policies_are_three_located_problems_with_suggestions(small_ws: Workspace) -> None:
    (small_ws.root / "policies.yaml").write_text(THREE_MISTAKES, encoding="utf-8")
    problems = check_workspace(small_ws.root)
    assert [(p.where, p.message, p.hint) for p in problems] == [
        ("policies.yaml:3", "access.restricted[0]: unknown value 'agnet'", "did you mean agent?"),
        ("policies.yaml:5", "unknown key 'retension'", "did you mean retention?"),
        ("policies.yaml:9", "unknown key 'footprint.budgett'", "did you mean budget?"),
    ]
    out = validate_cli(small_ws.root)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    lines = out.stdout.splitlines()
    # one line each, unwrapped even on a narrow terminal, in the form editors jump to
    assert "policies.yaml:5: unknown key 'retension' — did you mean retention?" in lines
    assert "policies.yaml:9: unknown key 'footprint.budgett' — did you mean budget?" in lines
    assert "3 problems" in lines


def test_a_workspace_with_every_shipped_pack_validates(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "all", communes=["35238", "35047"], packs=sorted(available_packs()))
    assert check_workspace(ws.root) == []
    assert validate_cli(ws.root).returncode == 0


def test_unknown_keys_in_territory_and_in_a_source_entry_are_all_reported(small_ws: Workspace) -> None:
    config = small_ws.root / "territory.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "engin: duckdb\n", encoding="utf-8")
    engine_line = len(config.read_text(encoding="utf-8").splitlines())
    entry = next((small_ws.root / "sources").glob("*.yaml"))
    text = entry.read_text(encoding="utf-8").splitlines()
    text.insert(2, "license: etalab-2.0")
    entry.write_text("\n".join(text) + "\n", encoding="utf-8")
    problems = {(p.where, p.message, p.hint) for p in check_workspace(small_ws.root)}
    assert problems == {
        (f"territory.yaml:{engine_line}", "unknown key 'engin'", "did you mean engine, engine_options?"),
        (f"sources/{entry.name}:3", "unknown key 'license'", "did you mean licence, licence_url?"),
    }
    with pytest.raises(InvalidConfigFile, match=f"territory.yaml:{engine_line}: unknown key 'engin'"):
        Workspace(small_ws.root)


def test_a_connector_option_is_checked_at_its_line(small_ws: Workspace) -> None:
    entry = small_ws.root / "sources" / "population-communes.yaml"
    lines = entry.read_text(encoding="utf-8").splitlines()
    at = lines.index("  kind: file") + 1
    lines.insert(at, "  pathh: x.csv")
    entry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [problem] = check_workspace(small_ws.root)
    assert problem.where == f"sources/population-communes.yaml:{at + 1}"
    assert problem.message == "unknown key 'source.pathh'" and problem.hint == "did you mean path?"


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        ("access: [public, agent]\n", "access: Input should be a valid dictionary"),
        ("access:\n  open: public\n", "access.open: Input should be a valid list"),
        ("access:\n  secret: [admin]\n", "unknown key 'access.secret'"),
    ],
)
def test_a_malformed_access_section_is_located_and_shown_well_formed(
    small_ws: Workspace, access: str, expected: str
) -> None:
    (small_ws.root / "policies.yaml").write_text("roles: [public, admin]\n" + access, encoding="utf-8")
    [problem] = check_workspace(small_ws.root)
    assert problem.where.startswith("policies.yaml:") and int(problem.where.split(":")[1]) >= 2
    assert problem.message.startswith(expected)
    assert problem.hint and ("access: {open:" in problem.hint or "known keys here: open" in problem.hint)
    # a run, the API or the footprint commands stop on the same problem with the same words
    with pytest.raises(ConfigError, match=r"policies\.yaml:\d+: "):
        AccessPolicy(small_ws.policies())


def test_rule_overrides_and_grid_are_checked_by_their_readers(small_ws: Workspace) -> None:
    (small_ws.root / "policies.yaml").write_text(
        "footprint:\n  grid: FRA\nsecrecy:\n  energy:\n    rules: {residentiel-10-points: {treshold: 11}}\n",
        encoding="utf-8",
    )
    problems = [(p.where, p.message, p.hint) for p in check_workspace(small_ws.root)]
    assert problems[0][0] == "policies.yaml:2" and "unknown footprint.grid 'FRA'" in problems[0][1]
    assert problems[0][2] and "FR" in problems[0][2]
    assert problems[1] == (
        "policies.yaml:4",
        "secrecy.energy: unknown key 'rules[1].treshold'",
        "did you mean threshold?",
    )


def test_policies_are_read_typed_with_the_defaults_of_a_section_left_out(small_ws: Workspace) -> None:
    (small_ws.root / "policies.yaml").write_text(
        "conventions:\n  - {partner: enedis, datasets: [d], until: 2027-12-31}\n", encoding="utf-8"
    )
    policy = AccessPolicy(small_ws.policies())
    assert {r.value for r in policy.readers[next(iter(policy.readers))]} >= {"public", "admin"}
    [convention] = policy.conventions
    assert convention.partner == "enedis" and convention.until is not None and convention.until.year == 2027
    assert {r.value for r in convention.roles} == {"partner", "contractor"}
