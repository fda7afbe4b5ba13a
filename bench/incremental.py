"""Incremental refresh of the demo territory: full, nothing changed, one source changed.

Prints CPU time and bytes fetched for each refresh and the ratios to the full refresh, and
the steps the single-source change re-ran (they must be exactly that source's downstream).

    python bench/incremental.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _demo import build_demo, fetched_bytes, run_timed

from territoria.governance.secrecy.joint import GROUP_PLANS
from territoria.pipelines import build_plan

SOURCE = "population-communes"


def change_one_value(ws: object, delta: int) -> None:
    path = ws.root / "data" / f"{SOURCE}.csv"  # type: ignore[attr-defined]
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[2] = str(int(fields[2].replace(" ", "")) + delta)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each kind (medians are compared).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo(Path(tmp) / "demo")
        # the first refresh of a new workspace, then forced full refreshes (every step really runs)
        full = [run_timed(ws)]
        for _ in range(args.repeat - 1):
            # a full refresh decides the secrecy of each group again, as a new process would: the
            # decisions of the last run are kept in memory by content, and the same content would
            # find them (a forced run of a long-lived daemon does)
            GROUP_PLANS.clear()
            full.append(run_timed(ws, force=True))
        same = [run_timed(ws) for _ in range(args.repeat)]
        one = []
        for i in range(args.repeat):
            change_one_value(ws, i + 1)
            one.append(run_timed(ws))
        timed = {"full": full, "no change": same, "one source": one}
        kinds = {k: [s for s, _ in runs] for k, runs in timed.items()}
        fetched = {k: [fetched_bytes(ws, s.run_id) for s in runs] for k, runs in kinds.items()}
        expected = build_plan(ws).downstream_steps({f"ingest:{SOURCE}"})
    for runs in kinds.values():
        assert all(s.status == "success" for s in runs), [s.failed for s in runs]
    cpu = {k: statistics.median(s.cpu_s for s in runs) for k, runs in kinds.items()}
    call = {k: statistics.median(c for _, c in runs) for k, runs in timed.items()}
    wall = {k: statistics.median(s.wall_s for s in runs) for k, runs in kinds.items()}
    steps = len(kinds["full"][0].records)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"demo territory, {steps} steps, {args.repeat} runs of each kind (medians); load average {load}")
    print(
        "CPU: the run as recorded (up to its run record); "
        "call: the whole call (opening the store, the run, the publication snapshot)"
    )
    print(f"{'refresh':<12}{'CPU s':>8}{'ratio':>9}{'call s':>8}{'ratio':>9}{'wall s':>8}{'fetched B':>11}{'run':>5}")
    for k, runs in kinds.items():
        r1, r2 = cpu[k] / cpu["full"] * 100, call[k] / call["full"] * 100
        print(
            f"{k:<12}{cpu[k]:>8.3f}{r1:>8.2f}%{call[k]:>8.3f}{r2:>8.2f}%{wall[k]:>8.3f}{max(fetched[k]):>11,}"
            f"{runs[-1].count('success'):>5}"
        )
    print(
        "  CPU s of each run: " + "; ".join(f"{k}: {', '.join(f'{s.cpu_s:.3f}' for s in r)}" for k, r in kinds.items())
    )
    print(
        f"no change: {cpu['no change'] / cpu['full'] * 100:.2f} % of the full refresh's CPU as recorded, "
        f"{call['no change'] / call['full'] * 100:.2f} % for the whole call (goal ≤ 2 %), "
        f"{max(fetched['no change'])} bytes fetched (goal 0; the first refresh fetched {fetched['full'][0]:,})"
    )
    rerun = sorted(r.step for r in kinds["one source"][-1].records if r.status == "success")
    print(f"one source changed ({SOURCE}): re-ran {len(rerun)} step(s): {', '.join(rerun)}")
    print(f"  all within its downstream: {set(rerun) <= expected} ({len(expected)} downstream steps)")
    unchanged = sorted(expected - set(rerun))
    print(f"  downstream steps skipped because their inputs' content did not change: {', '.join(unchanged) or 'none'}")
    fp = kinds["no change"][-1].footprint
    saved, spent = fp["avoided"]["energy_wh"]["value"], fp["energy_wh"]["value"]
    print(f"no-change refresh: spent {spent * 1000:.3f} mWh, avoided {saved * 1000:.3f} mWh (estimated)")


if __name__ == "__main__":
    main()
