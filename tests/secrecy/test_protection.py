"""The protection-range loop: after the guard's pattern, no suppressed non-empty cell can be pinned
inside its protection range (both sides within ±10 % of its value) or to its published precision,
and no primary cell can be computed (checked independently by the LP adversary with a program per
cell)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.core.errors import DataError
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.secrecy.adversary import BREACHES, PublishedTable, audit
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import RuleSet, load_ruleset
from territoria.testing.entries import cell_margins, masked_input, min_count, rule_set

from .tables import Table, complete_table

PROTECTION = 0.10


def _policies(loop: bool, threshold: int = 3) -> dict[str, Any]:
    rules = [masked_input(), min_count("nb", threshold, "min")]
    cells = rule_set(["value", "nb"], rules, cell_margins("parent_code"), protection=PROTECTION, protection_loop=loop)
    return {"secrecy": {"cells": cells}}


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    eng = open_duckdb(None)
    yield eng
    eng.close()


def _publish(engine: DuckDBEngine, rows: pa.Table, ruleset: RuleSet) -> tuple[pa.Table, dict[str, Any]]:
    engine.register_arrow("_cells", rows)
    engine.execute("CREATE OR REPLACE TABLE cells AS SELECT * FROM _cells")
    result = apply_ruleset(engine, "cells", "SELECT * FROM main.cells", ruleset)
    published = engine.fetch_arrow(f"SELECT * FROM ({result.select_sql}) ORDER BY code, sector, period")
    return published, result.report


def _too_narrow(published: pa.Table, truth: pa.Table, ruleset: RuleSet) -> list[tuple[Any, ...]]:
    """Suppressed non-empty cells whose exact interval (one program per cell, values exact) is
    inside ±protection of their value on both sides or of width 0, and computable primary cells."""
    table = PublishedTable.from_ruleset("cells", published, ruleset, truth=truth, rounding={"value": 0, "nb": 0})
    report = audit([table], exact=True)
    assert published.num_rows  # the published table is not empty
    bad = [(c.key, c.measure, c.true_value, c.low, c.high) for c in report.cells if c.verdict in BREACHES]
    primary = [c for c in report.cells if c.status == "primary" and c.true_value == 0 and c.high - c.low < 1e-9]
    return bad + [(c.key, c.measure, 0.0, c.low, c.high) for c in primary]


tables = st.builds(
    complete_table,
    communes=st.integers(2, 4),
    iris=st.lists(st.integers(0, 3), min_size=0, max_size=3),
    sectors=st.integers(2, 3),
    years=st.integers(1, 2),
    leaf_counts=st.lists(st.sampled_from([0, 1, 2, 5, 9, 40, 150, 400, 1200, 3000]), min_size=2, max_size=10),
    masked=st.lists(st.booleans(), min_size=0, max_size=8),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table=tables, threshold=st.sampled_from([3, 10]))
def test_no_suppressed_cell_is_narrower_than_its_protection_range(
    engine: DuckDBEngine, table: Table, threshold: int
) -> None:
    ruleset = load_ruleset("cells", _policies(True, threshold))
    truth = table.arrow().rename_columns(["code", "parent_code", "sector", "period", "nb", "masked"])
    truth = truth.append_column("value", pc_times_ten(truth))
    try:
        published, report = _publish(engine, truth, ruleset)
    except DataError:
        return  # the publication fails and says which cells: nothing leaves the store
    assert "protection_loop" in report
    assert _too_narrow(published, truth, ruleset) == []


def pc_times_ten(rows: pa.Table) -> pa.Array:
    """``value`` = 10 x ``nb``: additive like ``nb``, so every margin equation holds for both."""
    return pa.array([float(n) * 10.0 for n in rows["nb"].to_pylist()])


def _grid() -> pa.Table:
    """EPCI E = communes a + b + c, sectors T = s1 + s2: a x s1 is small (2 units), c x s2 is large."""
    counts = {("a", "s1"): 2, ("a", "s2"): 40, ("b", "s1"): 25, ("b", "s2"): 30, ("c", "s1"): 12, ("c", "s2"): 500}
    out: dict[str, list[Any]] = {k: [] for k in ("code", "parent_code", "sector", "period", "nb", "masked", "value")}
    for g in ["a", "b", "c", "E"]:
        for s in ["s1", "s2", "T"]:
            n = sum(v for (gg, ss), v in counts.items() if (gg == g or g == "E") and (ss == s or s == "T"))
            for k, v in zip(out, (g, None if g == "E" else "E", s, "2022", n, False, n * 10.0), strict=True):
                out[k].append(v)
    return pa.table(out)


def test_the_loop_adds_a_complement_where_the_pattern_leaves_a_cell_pinned(engine: DuckDBEngine) -> None:
    rows = _grid()
    plain = load_ruleset("cells", _policies(False))
    published, report = _publish(engine, rows, plain)
    # the hypercube a, c x s1, s2: c x s2 (500 units) moves by at most a x s1 + c x s1 = 14 units
    assert report["secondary"] == 3 and "protection_loop" not in report
    assert [c[0]["code"] + c[0]["sector"] for c in _too_narrow(published, rows, plain)] == ["cs2", "cs2"]
    looped = load_ruleset("cells", _policies(True))
    published, report = _publish(engine, rows, looped)
    assert report["protection_loop"]["rounds"] >= 1 and report["protection_loop"]["added"] >= 1
    assert report["secondary"] > 3
    assert _too_narrow(published, rows, looped) == []
