"""What a newcomer met in their first hour (issue 17): clear errors, exit codes that tell,
``--json`` that parses, two CSV formats that do not overwrite each other."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spawned import bare_env
from territoria.cli.main import app
from territoria.core.errors import NotFoundError
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace

CLI = [sys.executable, "-m", "territoria.cli.main"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("cli") / "ws", communes=["35238", "35047", "35206"], name="Trois")
    with ws.engine() as engine:
        assert run_pipeline(ws, engine).status == "success"
    return ws


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = bare_env(COLUMNS="200")
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_serve_on_a_taken_port_is_a_clear_error(built: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = cli("serve", "-w", str(built.root), "--port", str(port))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "port is in use" in out.stderr and f"--port {port + 1}" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_export_to_a_missing_folder_is_a_clear_error(built: Workspace, tmp_path: Path) -> None:
    out = cli("export", "population", "-w", str(built.root), "-o", str(tmp_path / "nope" / "p.csv"))
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "mkdir -p" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_csv_and_csv_std_write_distinct_files(built: Workspace, tmp_path: Path) -> None:
    runner, w = CliRunner(), ["-w", str(built.root)]
    for fmt in ("csv", "csv-std"):
        assert runner.invoke(app, ["export", "population", "-f", fmt, "-o", str(tmp_path), *w]).exit_code == 0
    french, std = tmp_path / "population.csv", tmp_path / "population.std.csv"
    assert french.read_bytes().startswith(b"\xef\xbb\xbf") and b";" in french.read_bytes()
    assert not std.read_bytes().startswith(b"\xef\xbb\xbf") and b"," in std.read_bytes()


def test_runs_of_an_unknown_run_suggests_one(built: Workspace) -> None:
    runner, w = CliRunner(), ["-w", str(built.root)]
    listed = json.loads(runner.invoke(app, ["runs", "--json", *w]).output)
    run_id = listed[0]["run_id"]
    shown = runner.invoke(app, ["runs", "--run", run_id, "--json", *w])
    assert shown.exit_code == 0 and json.loads(shown.output)
    typo = runner.invoke(app, ["runs", "--run", run_id[:-1] + "x", *w])
    assert isinstance(typo.exception, NotFoundError)
    assert typo.exception.hint is not None and run_id in typo.exception.hint


def test_json_outputs_parse(built: Workspace) -> None:
    runner, w = CliRunner(), ["-w", str(built.root)]
    status = json.loads(runner.invoke(app, ["status", "--json", *w]).output)
    assert status["workspace"] == "Trois"
    keys = {"dataset", "layer", "title", "access", "rows", "quarantined", "updated_at", "last_status", "freshness"}
    assert all(set(d) == keys for d in status["datasets"])
    lineage = json.loads(runner.invoke(app, ["lineage", "densite_population", "--json", *w]).output)
    assert lineage["dataset"] == "densite_population" and lineage["upstream"]["children"]
    valid = json.loads(runner.invoke(app, ["config", "validate", "--json", *w]).output)
    assert valid == {"valid": True, "problems": []}
    again = runner.invoke(app, ["run", "--json", *w])
    summary = json.loads(again.output)
    assert again.exit_code == 0 and summary["status"] == "success"
    assert summary["counts"]["skipped"] == len(summary["steps"]) > 0


def test_a_no_change_run_counts_unchanged_steps(built: Workspace) -> None:
    runner, w = CliRunner(), ["-w", str(built.root)]
    quiet = runner.invoke(app, ["run", *w], env={"COLUMNS": "200"})
    assert quiet.exit_code == 0 and "skipped" not in quiet.output
    unchanged = json.loads(runner.invoke(app, ["run", "--json", *w]).output)["counts"]["skipped"]
    assert f"{unchanged} unchanged" in quiet.output and "--verbose" in quiet.output
    verbose = runner.invoke(app, ["run", "--verbose", *w], env={"COLUMNS": "200"})
    assert verbose.output.count("skipped") == unchanged


def test_status_exits_1_when_a_dataset_failed(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238", "35047"], name="Deux")
    with ws.engine() as engine:
        run_pipeline(ws, engine)
    source = ws.root / "data" / "population-communes.csv"
    source.write_text("not;the;expected;header\n1;2;3;4\n", encoding="utf-8")
    runner, w = CliRunner(), ["-w", str(ws.root)]
    assert runner.invoke(app, ["run", *w]).exit_code == 1
    status = runner.invoke(app, ["status", *w], env={"COLUMNS": "200"})
    assert status.exit_code == 1 and "failed or blocked" in status.output
    doc = json.loads(runner.invoke(app, ["status", "--json", *w]).output)
    assert {d["dataset"] for d in doc["datasets"] if d["last_status"] == "failed"} == {"population-communes"}


def test_status_never_cuts_dataset_ids_in_80_columns(built: Workspace) -> None:
    out = CliRunner().invoke(app, ["status", "-w", str(built.root)], env={"COLUMNS": "80"})
    names = [
        d["dataset"]
        for d in json.loads(CliRunner().invoke(app, ["status", "--json", "-w", str(built.root)]).output)["datasets"]
    ]
    assert "…" not in out.output
    assert all(name in out.output for name in names)
    assert max(len(line) for line in out.output.splitlines()) <= 80
