"""The national energy cube with secrecy publishes the same table on Spark as on DuckDB.

The energy pack's models and the statistical secrecy guard (primary rules and secondary
suppression), run through the Engine protocol exactly as ``bench/national_energy.py`` runs them,
on the synthetic ORE rows of two départements over two years: every row of the model table and
of the published (protected) table is the same, value for value, on both engines. Then the
pack's emissions indicator on those cells (Spark runs the pack's variant of its SQL, having no
128-bit integers): the same rows, numbers to 12 significant digits (DuckDB casts a DECIMAL to
DOUBLE with two roundings, Spark with one: the last binary digit may differ).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from territoria.engines import open_engine
from territoria.ledger import suppression_counts

pytest.importorskip("pyspark", reason="the spark engine is an optional extra (requirements-spark.lock)")

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

from national_energy import FACTORS, synthetic_input, territoria_pipeline

BENCH = Path(__file__).parents[2] / "bench"
# bench/engines.py by its path: `engines` is this test package's name
_spec = importlib.util.spec_from_file_location("bench_engines", BENCH / "engines.py")
assert _spec is not None and _spec.loader is not None
bench_engines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_engines)

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
    duck = open_engine("duckdb", None)
    try:
        duck_cells, _, _, duck_truth, _ = territoria_pipeline(staging, communes, factors, duck, emissions=False)
        duck_emitted = bench_engines.emissions(duck)
    finally:
        duck.close()
    engine = open_engine("spark", tmp_path)
    try:
        cells, _, _, truth, _ = territoria_pipeline(staging, communes, factors, engine, emissions=False)
        suppressed = [(s, n) for (_, s), n in suppression_counts(engine).items()]
        emitted = bench_engines.emissions(engine)
    finally:
        engine.close()
    assert cells.column_names == duck_cells.column_names
    assert _rows(truth) == _rows(duck_truth)
    assert _rows(cells) == _rows(duck_cells)
    secret = pc.sum(cells["secret"].cast(pa.int64())).as_py()
    primary_and_secondary = dict(suppressed)
    # the sample has secrets to protect, and secondary suppressions protecting them
    assert secret > 0 and primary_and_secondary.get("primary", 0) > 0 and primary_and_secondary.get("secondary", 0) > 0

    assert emitted.column_names == duck_emitted.column_names
    assert bench_engines.same_rows(_rows(emitted), _rows(duck_emitted)) == 0
    by_total: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for r in _rows(emitted):
        if r["energy"] != "TOUTES":
            by_total.setdefault((r["mesh"], r["code"], r["period"], r["sector"]), []).append(r)
    totals = [r for r in _rows(emitted) if r["energy"] == "TOUTES" and not r["secret"]]
    assert totals
    for total in totals:  # a total lists its energies' factors, and its emissions add theirs up
        parts = by_total[(total["mesh"], total["code"], total["period"], total["sector"])]
        assert total["emission_factors"] == ",".join(sorted({str(p["emission_factors"]) for p in parts}))
        values = [p["value"] for p in parts]
        if None not in values:
            assert math.isclose(sum(values), total["value"], rel_tol=1e-9)  # type: ignore[arg-type]
