"""The secrecy suppression report alone: 2,983,340 suppressed cells shaped like the national
energy table's (``bench/national_energy.py --years 10``), written to the ledger and its step
report examples read back, in memory and on a store file.

    .venv/bin/python bench/suppression_report.py
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from territoria import ledger
from territoria.engines.duckdb.engine import open_duckdb
from territoria.ledger.suppressions import PRIMARY_CODE, SECONDARY_CODE

CELLS = 2_983_340
KEYS = ["code", "sector", "energy", "period"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def suppressed(n: int = CELLS, seed: int = 1) -> pa.Table:
    """Cells in the report's shape: communes in order, a third primary, the rest protecting one."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"{i:05d}" for i in range(35_000)])
    sectors = np.array(["residentiel", "tertiaire", "industrie", "agriculture", "autres", "TOUS"])
    energies = np.array(["electricite", "gaz", "TOUTES"])
    status = np.where(rng.random(n) < 0.3, PRIMARY_CODE, SECONDARY_CODE)
    primary = np.flatnonzero(status == PRIMARY_CODE)
    protects = np.where(status == SECONDARY_CODE, primary[rng.integers(0, len(primary), n)], -1)
    return pa.table(
        {
            "code": codes[np.sort(rng.integers(0, len(codes), n))],
            "sector": sectors[rng.integers(0, len(sectors), n)],
            "energy": energies[rng.integers(0, len(energies), n)],
            "period": rng.integers(2015, 2025, n).astype(np.int32),
            "_cell": np.arange(n, dtype=np.int32),
            "_status": status.astype(np.int8),
            "_rules": np.where(status == PRIMARY_CODE, rng.integers(1, 4, n), 0).astype(np.int32),
            "_protects": pa.array(protects.astype(np.int32), mask=protects < 0),
        }
    )


def main() -> None:
    cells = suppressed()
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for where in ("in memory", "store file"):
        with tempfile.TemporaryDirectory(prefix="suppression-report-") as store:
            engine = open_duckdb(None if where == "in memory" else Path(store))
            t0, c0 = time.perf_counter(), _cpu()
            ledger.write_suppressions(engine, "energie_cellules", "energy", KEYS, ["a", "b"], cells)
            ledger.suppression_examples(engine, "energie_cellules", 20)
            engine.execute("CHECKPOINT")
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            engine.close()
            size = sum(f.stat().st_size for f in Path(store).iterdir()) / 1e6
        print(f"report of {CELLS:,} cells, {where}: {wall:.2f} s wall, {cpu:.2f} s CPU, {size:.1f} MB on disk")


if __name__ == "__main__":
    main()
