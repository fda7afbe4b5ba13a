"""``territoria status`` on the demo territory: from the summary the last run saved, against
reading the store (the summary removed before each call), and ``territoria version`` as the
floor every command pays (interpreter, Typer). Each is a new process, alternating, as a user
types them; wall and CPU (user + system, children included) of each call.

    python bench/status.py [--workspace DIR] [--repeat 10]

Without ``--workspace`` the demo is built and run first in a temporary folder (about a minute).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _demo import build_demo, run

from territoria.pipelines.summary import FILE, read_summary

CLI = str(Path(sys.executable).parent / "territoria")


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``territoria`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([CLI, *args], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", type=Path, help="An existing workspace that has run (default: build the demo).")
    parser.add_argument("--repeat", type=int, default=10, help="Calls of each kind.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workspace
        if root is None:
            ws = build_demo(Path(tmp) / "demo")
            run(ws)
            root = ws.root
            time.sleep(1.5)  # files the plan is built from must be older than the stamps' settling time
        root = root.resolve()
        status = ["status", "-w", str(root)]
        timed(status)  # saves the summary if the last run could not
        if read_summary(root) is None:
            sys.exit(f"no usable status summary in {root}: has the workspace run?")
        times: dict[str, list[tuple[float, float]]] = {"summary": [], "store": [], "version": []}
        for _ in range(args.repeat):
            times["summary"].append(timed(status))
            (root / ".territoria" / FILE).unlink()
            times["store"].append(timed(status))  # and saves it again
            times["version"].append(timed(["version"]))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"territoria status on {root}, {args.repeat} calls of each kind; load average {load}")
    print(f"{'call':<28}{'wall best':>10}{'median':>8}{'CPU best':>10}{'median':>8}")
    labels = {"summary": "status (summary)", "store": "status (reading the store)", "version": "version"}
    for kind, label in labels.items():
        walls, cpus = [w for w, _ in times[kind]], [c for _, c in times[kind]]
        print(
            f"{label:<28}{min(walls):>10.3f}{statistics.median(walls):>8.3f}"
            f"{min(cpus):>10.3f}{statistics.median(cpus):>8.3f}"
        )
    fast = statistics.median(c for _, c in times["summary"])
    slow = statistics.median(c for _, c in times["store"])
    print(f"status from the summary: {slow / fast:.1f}x less CPU than reading the store (goal: under 0.5 s wall)")


if __name__ == "__main__":
    main()
