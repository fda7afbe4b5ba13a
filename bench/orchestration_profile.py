"""Where a step's overhead goes: the CPU of each kind of SQL statement per step of a chain.

``bench/orchestration.py`` gives a step's marginal cost, (chain of 41 - chain of 2) / 39; this
splits the same difference by SQL statement (numbers, quoted text and table names folded, so
that the 40 ``CREATE`` of a chain are one line) and prints the rest, the Python around them.
Each statement is timed with ``time.process_time`` around DuckDB's ``execute`` (the whole
process, DuckDB's threads included); ``--bare`` profiles the bare CREATE TABLE side instead.
Medians over the repetitions; ``--threads 1`` is steadier on a loaded machine.

    python bench/orchestration_profile.py [--repeat 15] [--threads 1] [--bare] [--top 25]
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import orchestration  # the bench next to this file

from territoria.engines.duckdb import engine as duckdb_engine

#: CPU seconds and calls of each kind of statement since the last reset (the calls: in one run of 41)
spent: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()


@functools.cache  # the same statements each run: the folding is not charged to the step again
def kind(sql: str) -> str:
    text = re.sub(r"'[^']*'", "'?'", sql)
    text = re.sub(r"m_\d+", "m_N", text)
    return re.sub(r"\d+", "N", " ".join(text.split()))[:110]


def instrument() -> None:
    execute = duckdb_engine.LazySpatialConnection.execute

    def timed_execute(self: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return execute(self, sql, *args, **kwargs)
        finally:
            name = kind(str(sql))
            spent[name] += time.process_time() - c0
            calls[name] += 1

    duckdb_engine.LazySpatialConnection.execute = timed_execute  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--bare", action="store_true", help="profile the bare CREATE TABLE side")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    instrument()
    lengths = (41, 2)
    with tempfile.TemporaryDirectory() as tmp:
        if args.bare:
            dirs = {k: Path(tmp) / f"bare{k}" for k in lengths}
            for d in dirs.values():
                d.mkdir()

            def run(k: int) -> None:
                orchestration.bare_run(dirs[k], k, args.threads)
        else:
            ws = {k: orchestration.make_workspace(Path(tmp) / f"chain{k}", k, args.threads) for k in lengths}

            def run(k: int) -> None:
                orchestration.territoria_run(ws[k], k)

        for k in lengths:  # warm-up
            run(k)
        per_step: dict[str, list[float]] = collections.defaultdict(list)
        totals = []
        in_long: dict[str, int] = {}
        for _ in range(args.repeat):
            seen = {}
            for k in lengths:
                spent.clear()
                calls.clear()
                c0 = time.process_time()
                run(k)
                seen[k] = (dict(spent), time.process_time() - c0)
                if k == 41:
                    in_long = dict(calls)
            for name in set(seen[41][0]) | set(seen[2][0]):
                per_step[name].append((seen[41][0].get(name, 0.0) - seen[2][0].get(name, 0.0)) / 39)
            totals.append((seen[41][1] - seen[2][1]) / 39)
    total = statistics.median(totals)
    rows = sorted(((statistics.median(v), k) for k, v in per_step.items()), reverse=True)
    sql = sum(cost for cost, _ in rows)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CPU per step (chain of 41 - chain of 2) / 39, medians of {args.repeat}; load average {load}")
    rest = (total - sql) * 1e6
    print(f"  {total * 1e6:8.1f} us  whole step; SQL {sql * 1e6:.1f} us, the rest (Python, I/O) {rest:.1f} us")
    for cost, name in rows[: args.top]:
        print(f"  {cost * 1e6:8.1f} us  {in_long.get(name, 0):3d}x  {name}")


if __name__ == "__main__":
    main()
