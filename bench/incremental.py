"""Incremental refresh of the demo territory: full, nothing changed, one source changed.

Prints CPU time and bytes fetched for each refresh and the ratios to the full refresh, and
the steps the single-source change re-ran (they must be exactly that source's downstream).

    python bench/incremental.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _demo import build_demo, fetched_bytes, run

from territoria.pipelines import build_plan

SOURCE = "population-communes"


def change_one_value(ws: object) -> None:
    path = ws.root / "data" / f"{SOURCE}.csv"  # type: ignore[attr-defined]
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(";")
    fields[2] = str(int(fields[2].replace(" ", "")) + 1)
    lines[1] = ";".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo(Path(tmp) / "demo")
        full = run(ws)
        same = run(ws)
        change_one_value(ws)
        one = run(ws)
        rows = [
            (name, s, fetched_bytes(ws, s.run_id))
            for name, s in (("full", full), ("no change", same), ("one source", one))
        ]
        expected = build_plan(ws).downstream_steps({f"ingest:{SOURCE}"})
    for _, s, _ in rows:
        assert s.status == "success", s.failed
    full_cpu, full_bytes = rows[0][1].cpu_s, rows[0][2]
    print(f"demo territory, {len(full.records)} steps")
    print(f"{'refresh':<12}{'CPU s':>9}{'wall s':>9}{'fetched B':>12}{'CPU ratio':>11}{'steps run':>11}")
    for name, s, fetched in rows:
        ratio = s.cpu_s / full_cpu * 100
        print(f"{name:<12}{s.cpu_s:>9.3f}{s.wall_s:>9.3f}{fetched:>12,}{ratio:>10.2f}%{s.count('success'):>11}")
    rerun = sorted(r.step for r in one.records if r.status == "success")
    print(
        f"no change: {same.cpu_s / full_cpu * 100:.2f} % of the full refresh's CPU (goal ≤ 2 %), "
        f"{rows[1][2]} bytes fetched (goal 0; full fetched {full_bytes:,})"
    )
    print(f"one source changed ({SOURCE}): re-ran {len(rerun)} step(s): {', '.join(rerun)}")
    print(f"  exactly its downstream: {set(rerun) == expected}")
    saved = same.footprint.get("avoided", {}).get("energy_wh", {}).get("value", 0)
    spent = same.footprint.get("energy_wh", {}).get("value", 0)
    print(f"no-change refresh: spent {spent * 1000:.3f} mWh, avoided {saved * 1000:.3f} mWh (estimated)")


if __name__ == "__main__":
    main()
