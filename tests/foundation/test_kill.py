"""Killing `territoria run` in the middle of a step leaves the store readable and the previous
outputs intact; the next run completes. A real subprocess, a real SIGKILL."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace

ROWS = 3_000_000


def _big_population_file(path: Path) -> str:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT lpad((i % 90000 + 10000)::VARCHAR, 5, '0') AS CODGEO, 'Commune ' || i AS LIBGEO,
                     (i % 5000)::VARCHAR AS PMUN, 1900 + i // 90000 AS ANNEE FROM range({ROWS}) t(i))
            TO '{path}' (HEADER, DELIMITER ';')"""
    )
    con.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigkill_during_a_step_keeps_previous_outputs(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        assert run_pipeline(small_ws, engine).status == "success"
        before = engine.fetch_all('SELECT * FROM staging."population-communes" ORDER BY ALL')
        published = engine.fetch_all("SELECT * FROM published.population ORDER BY ALL")

    sha = _big_population_file(small_ws.root / "data" / "population-communes.csv")
    landed = small_ws.landing.path(sha)
    proc = subprocess.Popen(
        [sys.executable, "-m", "territoria.cli.main", "run", "-w", str(small_ws.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not landed.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert landed.exists(), "the payload should land before parsing starts"
    time.sleep(0.3)  # now inside validation of 3 M rows
    assert proc.poll() is None, "the step finished before it could be killed: make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with small_ws.engine() as engine:
        # the store opens, the previous outputs are exactly as they were
        assert engine.fetch_all('SELECT * FROM staging."population-communes" ORDER BY ALL') == before
        assert engine.fetch_all("SELECT * FROM published.population ORDER BY ALL") == published
        summary = run_pipeline(engine=engine, ws=small_ws)
        statuses = dict(engine.fetch_all("SELECT run_id, status FROM _territoria.runs"))
    assert "interrupted" in statuses.values()
    assert summary.status == "success"
    ingest = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert ingest.status == "success" and ingest.rows_in == ROWS
