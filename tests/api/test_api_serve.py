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
