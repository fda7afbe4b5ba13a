"""`territoria serve` as a user runs it: GDAL's ogrinfo reads the OGC API collections, and
`territoria run` works while the server is up (the server never holds the store)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import build_workspace

CLI = [sys.executable, "-m", "territoria.cli.main"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    ws = build_workspace(tmp_path_factory.mktemp("serve") / "ws")
    proc = subprocess.Popen(
        [*CLI, "serve", "-w", str(ws.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        lines = []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            url = f"http://127.0.0.1:{found.group(1)}" if found else None
        assert url, "".join(lines)
        assert httpx.get(f"{url}/api", timeout=60).status_code == 200
        yield ws.root, url
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def ogrinfo(*args: str) -> str:
    assert shutil.which("ogrinfo"), "this test needs GDAL's ogrinfo: apt-get install gdal-bin"
    done = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_and_reads_collections(served: tuple[Path, str]) -> None:
    _, url = served
    listing = ogrinfo(f"OAPIF:{url}/ogc")
    for layer in ("densite_population", "population", "contours-communes"):
        assert re.search(rf"\d+: {re.escape(layer)} \(", listing), listing
    assert "conso-gaz-communes" not in listing  # restricted: not for anonymous GIS clients
    summary = ogrinfo("-so", f"OAPIF:{url}/ogc", "densite_population")
    assert "Feature Count: 43" in summary
    rennes = ogrinfo("-q", f"OAPIF:{url}/ogc", "densite_population", "-where", "code = '35238'")
    api = httpx.get(f"{url}/api/indicators/densite_population/values", params={"code": "35238"}).json()
    value = api["values"][0]["value"]
    assert re.search(rf"value \(Real\) = {value}\b", rennes), rennes
    assert "POLYGON" in rennes


def test_run_while_serving(served: tuple[Path, str]) -> None:
    root, url = served
    before = httpx.get(f"{url}/api/runs").json()
    done = subprocess.run(
        [*CLI, "run", "-w", str(root), "--force", "--only", "population"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    after = httpx.get(f"{url}/api/runs").json()
    assert after["total"] == before["total"] + 1 and after["published_run"] != before["published_run"]
    assert after["runs"][0]["status"] == "success"


def test_serve_with_workers(served: tuple[Path, str]) -> None:
    """`--workers 2 --port 0`: the printed port is the one both worker processes answer on, and a
    SIGTERM stops them all."""
    import psutil

    root, _ = served
    proc = subprocess.Popen(
        [*CLI, "serve", "-w", str(root), "--port", "0", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))):  # the console may wrap it
            lines.append(proc.stdout.readline())
            assert lines[-1] or proc.poll() is None, "".join(lines)
        url = f"http://127.0.0.1:{found.group(1)}"
        with httpx.Client(timeout=60) as client:
            assert all(client.get(f"{url}/api/indicators").status_code == 200 for _ in range(4))
        children = psutil.Process(proc.pid).children()
        workers = [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]
        assert len(workers) == 2
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()
    assert proc.returncode == 0
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


def test_serve_refuses_zero_workers(served: tuple[Path, str]) -> None:
    done = subprocess.run([*CLI, "serve", "-w", str(served[0]), "--workers", "0"], capture_output=True, text=True)
    assert done.returncode != 0 and "at least one worker" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
