"""The secrecy suppression report is written and read back alike on every engine."""

from __future__ import annotations

import pyarrow as pa

from territoria import ledger
from territoria.engines.base import Engine


def test_the_suppression_report_round_trips(engine: Engine) -> None:
    cells = pa.table(
        {
            "code": ["b", "a", "c"],
            "period": pa.array([2020, 2020, 2021], pa.int32()),
            "_cell": pa.array([0, 1, 2], pa.int32()),
            "_status": pa.array([2, 1, 2], pa.int8()),
            "_rules": pa.array([0, 0b10, 0], pa.int32()),
            "_protects": pa.array([1, None, 1], pa.int32()),
        }
    )
    ledger.write_suppressions(engine, "energie_cellules", "energy", ["code", "period"], ["m", "n"], cells)
    a = {"code": "a", "period": 2020}
    assert ledger.suppressed_cells(engine, "energie_cellules") == [
        {"cell": a, "status": "primary", "rules": ["n"], "protects": None},
        {"cell": {"code": "b", "period": 2020}, "status": "secondary", "rules": [], "protects": a},
        {"cell": {"code": "c", "period": 2021}, "status": "secondary", "rules": [], "protects": a},
    ]
    assert ledger.suppression_examples(engine, "energie_cellules", 1) == [
        {"cell": a, "status": "primary", "rules": ["n"]}
    ]
    assert ledger.suppression_counts(engine) == {
        ("energie_cellules", "primary"): 1,
        ("energie_cellules", "secondary"): 2,
    }
    ledger.write_suppressions(engine, "energie_cellules", "energy", ["code", "period"], ["m", "n"], None)
    assert ledger.suppressed_cells(engine, "energie_cellules") == []
