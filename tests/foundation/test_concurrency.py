"""Two territoria processes on one workspace: the second gets a clear message, nothing breaks."""

from __future__ import annotations

import subprocess
import sys
import time

from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace

HOLDER = """
import sys, time
from pathlib import Path
from territoria.workspace import Workspace
ws = Workspace(Path(sys.argv[1]))
with ws.engine():
    print("holding", flush=True)
    time.sleep(30)
"""


def test_a_second_process_is_refused_clearly(small_ws: Workspace) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(small_ws.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        out = subprocess.run(
            [sys.executable, "-m", "territoria.cli.main", "run", "-w", str(small_ws.root)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2
        assert "in use by another territoria process" in out.stderr and f"pid {holder.pid}" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    time.sleep(0.1)
    with small_ws.engine() as engine:
        assert run_pipeline(small_ws, engine).status == "success"
