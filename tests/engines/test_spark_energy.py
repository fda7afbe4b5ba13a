"""The national energy cube with secrecy publishes the same table on Spark as on DuckDB.

The energy pack's models and the statistical secrecy guard (primary rules and secondary
suppression), run through the Engine protocol exactly as ``bench/national_energy.py`` runs them,
on the synthetic ORE rows of two départements over two years: every row of the model table and
of the published (protected) table is the same, value for value, on both engines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from territoria.engines import open_engine

pytest.importorskip("pyspark", reason="the spark engine is an optional extra (requirements-spark.lock)")

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

from national_energy import FACTORS, synthetic_input, territoria_pipeline

KEYS = ["mesh", "code", "period", "sector", "energy"]


def _sample() -> tuple[pa.Table, pa.Table, pa.Table]:
    staging, communes = synthetic_input(range(2023, 2025))
    keep = pc.or_(pc.starts_with(communes["code"], "90"), pc.starts_with(communes["code"], "2A"))
    communes = communes.filter(keep)
    staging = staging.filter(pc.is_in(staging["code_commune"], communes["code"]))
    factors = pa.Table.from_pandas(pd.read_csv(FACTORS, sep=";"), preserve_index=False)
    return staging, communes, factors


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return table.sort_by([(k, "ascending") for k in KEYS]).to_pylist()


def test_the_energy_cube_with_secrecy_is_identical_on_spark(tmp_path: Path) -> None:
    staging, communes, factors = _sample()
    duck_cells, _, _, duck_truth, _ = territoria_pipeline(staging, communes, factors, emissions=False)
    engine = open_engine("spark", tmp_path)
    try:
        cells, _, _, truth, _ = territoria_pipeline(staging, communes, factors, engine, emissions=False)
        suppressed = engine.fetch_all(
            "SELECT status, count(*) FROM _territoria.secrecy_suppressions GROUP BY status ORDER BY status"
        )
    finally:
        engine.close()
    assert cells.column_names == duck_cells.column_names
    assert _rows(truth) == _rows(duck_truth)
    assert _rows(cells) == _rows(duck_cells)
    secret = pc.sum(cells["secret"].cast(pa.int64())).as_py()
    primary_and_secondary = dict(suppressed)
    # the sample has secrets to protect, and secondary suppressions protecting them
    assert secret > 0 and primary_and_secondary.get("primary", 0) > 0 and primary_and_secondary.get("secondary", 0) > 0
