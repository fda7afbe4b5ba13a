"""Overhead of the footprint meter on the demo territory's full run.

Runs the whole demo pipeline (``force``: every step really runs) with the meter on and off,
alternating the order in each pair, and prints the median wall time of each and the overhead.
The A/B difference is noisy on a shared machine, so the meter's own cost is also timed
directly (start + finish around an empty step, many times) and related to the run.

    python bench/footprint_overhead.py [--pairs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _demo import build_demo, run

from territoria.footprint.meter import StepMeter
from territoria.footprint.params import METER_ENV, load_policy
from territoria.ledger import StepRecord


def timed_run(ws: object, meter_on: bool) -> tuple[float, float, int]:
    os.environ[METER_ENV] = "on" if meter_on else "off"
    summary = run(ws, force=True)  # type: ignore[arg-type]
    assert summary.status == "success", summary.failed
    return summary.wall_s, summary.cpu_s, len(summary.records)


def meter_cost(ws: object, steps: int, status: str, n: int = 50) -> tuple[float, float]:
    """(wall s, CPU s) the meter adds to one run of ``steps`` steps of ``status``, timed directly:
    set-up, start + finish around each step, the run total."""
    os.environ[METER_ENV] = "on"
    rec = StepRecord("bench", "model:x", "model", status=status, wall_s=0.01, cpu_s=0.01)
    with ws.engine() as engine:  # type: ignore[attr-defined]
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            meter = StepMeter(load_policy({}), engine, {})
            fps = [meter.finish(rec, meter.start()) for _ in range(steps)]
            meter.run_footprint(fps, 1.0, 1.0)
        return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo(Path(tmp) / "demo")
        timed_run(ws, True)  # warm-up: landing, store, caches
        on, off, cpus = [], [], []
        steps = 0
        for i in range(args.pairs):
            order = [True, False] if i % 2 == 0 else [False, True]
            for meter_on in order:
                wall, cpu, steps = timed_run(ws, meter_on)
                (on if meter_on else off).append(wall)
                if not meter_on:
                    cpus.append(cpu)
        full_wall, full_cpu = meter_cost(ws, steps, "success")
        skip_wall, skip_cpu = meter_cost(ws, steps, "skipped")
        run_cpu = statistics.median(cpus)
    med_on, med_off = statistics.median(on), statistics.median(off)
    print(f"demo full run, {steps} steps, {args.pairs} pairs (meter on/off alternating)")
    print(f"  meter on : median {med_on:.3f} s  (runs: {', '.join(f'{w:.3f}' for w in on)})")
    print(f"  meter off: median {med_off:.3f} s  (runs: {', '.join(f'{w:.3f}' for w in off)})")
    print(f"  A/B overhead: {(med_on - med_off) / med_off * 100:+.2f} % of wall time (ratio {med_on / med_off:.4f})")
    print(
        f"  meter's own cost, timed directly (full run, every step works): {full_wall * 1e3:.2f} ms wall, "
        f"{full_cpu * 1e3:.2f} ms CPU per run = {full_wall / med_off * 100:.3f} % of the run's wall time, "
        f"{full_cpu / run_cpu * 100:.3f} % of its CPU time ({run_cpu:.3f} s) (goal ≤ 1 %)"
    )
    print(
        f"  with every step skipped (the savings baseline is read once): {skip_wall * 1e3:.2f} ms wall, "
        f"{skip_cpu * 1e3:.2f} ms CPU per run"
    )


if __name__ == "__main__":
    main()
