"""``territoria status`` reads the summary the last run saved while neither the store nor the
configuration changed, and says exactly what reading the store would say."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.pipelines import load_plan, run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.pipelines.summary import FILE, freshness, read_summary
from territoria.testing.clock import backdate
from territoria.workspace import Workspace

POP = "data/population-communes.csv"


def run(ws: Workspace) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine)


def status(ws: Workspace) -> tuple[int, str]:
    out = CliRunner().invoke(app, ["status", "-w", str(ws.root), "--json"], env={"COLUMNS": "200"})
    return out.exit_code, out.stdout


def from_store(ws: Workspace) -> tuple[int, str]:
    """What ``status`` says when it has to read the store (no summary)."""
    (ws.private / FILE).unlink(missing_ok=True)
    return status(ws)


def test_status_from_the_summary_is_what_the_store_says(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    run(small_ws)
    assert read_summary(small_ws.root) is not None
    fast = status(small_ws)
    assert fast == from_store(small_ws)
    assert fast[0] == 0 and json.loads(fast[1])["workspace"] == "Trois communes"
    # the status that read the store saved the summary again, and the next one reads it
    assert read_summary(small_ws.root) is not None and status(small_ws) == fast


def test_a_failed_run_shows_in_the_summary_and_status_exits_1(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    run(small_ws)
    (small_ws.root / POP).write_text("<!DOCTYPE html><html><body>Erreur 502</body></html>", encoding="utf-8")
    assert run(small_ws).status == "failed"
    assert read_summary(small_ws.root) is not None
    code, out = status(small_ws)
    rows = {d["dataset"]: d for d in json.loads(out)["datasets"]}
    assert code == 1 and rows["population-communes"]["last_status"] == "failed"
    assert (code, out) == from_store(small_ws)


def test_any_write_to_the_store_or_edit_of_the_configuration_makes_status_read_the_store(
    small_ws: Workspace,
) -> None:
    backdate(small_ws.root)
    run(small_ws)
    assert read_summary(small_ws.root) is not None
    with small_ws.engine() as engine:  # e.g. a run killed before its end, or another command
        engine.execute("CREATE TABLE main.anything AS SELECT 1 AS x")
    assert read_summary(small_ws.root) is None
    status(small_ws)
    assert read_summary(small_ws.root) is not None

    entry = small_ws.sources_dir / "population-communes.yaml"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace("\ntitle: ", "\ntitle: Nouveau titre — "), encoding="utf-8")
    assert read_summary(small_ws.root) is None
    _, out = status(small_ws)
    titles = {d["dataset"]: d["title"] for d in json.loads(out)["datasets"]}
    assert titles["population-communes"].startswith("Nouveau titre — ")


def test_freshness_is_computed_when_read() -> None:
    now = datetime(2026, 1, 10)
    assert freshness(True, 1.0, now - timedelta(days=2), now) == "due for a check"
    assert freshness(True, 7.0, now - timedelta(days=2), now) == "fresh"
    assert freshness(True, None, None, now) == "built"
    assert freshness(False, None, None, now) == "never built"


def test_status_from_the_summary_loads_neither_the_store_nor_the_planner(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    run(small_ws)
    heavy = ("duckdb", "pyarrow", "territoria.workspace", "territoria.pipelines.plan", "territoria.catalog.model")
    code = (
        "import sys\n"
        "from territoria.cli.main import app\n"
        f"app(['status', '-w', {str(small_ws.root)!r}], standalone_mode=False)\n"
        f"print([n for n in {heavy!r} if n in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "population-communes" in out.stdout
    assert Path(small_ws.private / FILE).is_file()


def test_a_copied_workspace_reads_neither_the_originals_summary_nor_its_plan(
    small_ws: Workspace, tmp_path: Path
) -> None:
    """Both caches trust file stamps, saved by path: a copy (``cp -a``, a backup restored elsewhere)
    held the original's paths, unchanged, and went on trusting them while its own files changed."""
    backdate(small_ws.root)
    run(small_ws)
    assert read_summary(small_ws.root) is not None and load_plan(small_ws).fingerprint is not None
    copy = Workspace(Path(shutil.copytree(small_ws.root, tmp_path / "copie", ignore=shutil.ignore_patterns("*.wal"))))
    assert read_summary(copy.root) is None
    source = copy.sources_dir / "population-communes.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("title: ", "title: Copie - ", 1), encoding="utf-8")
    backdate(copy.root)
    assert load_plan(copy).datasets["population-communes"].title.startswith("Copie - ")
