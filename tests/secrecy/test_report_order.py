"""The suppression report is the same for the same cells, whatever order the rows are stored in:
its cells are numbered (``_cell``, and ``_protects`` refers to those numbers) in key order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.core.errors import DataError
from territoria.engines.duckdb.engine import open_duckdb
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import load_ruleset
from territoria.ledger import META, cells_table

from .tables import Key, Table, complete_table, derivable
from .test_republication import POLICIES, SHAPE


def published_report(rows: pa.Table, ruleset: str = "cells") -> tuple[list[dict[str, Any]], dict[Key, int | None]]:
    """Publish ``rows`` (stored in the order given) in a fresh store: the report's rows by ``_cell``,
    and each published cell's count (None when secret)."""
    engine = open_duckdb(None)
    try:
        engine.register_arrow("_rows", rows)
        engine.execute("CREATE TABLE main.t AS SELECT code, parent, sector, period, nb FROM _rows")
        engine.execute("DROP VIEW _rows")
        result = apply_ruleset(engine, "t", "SELECT * FROM main.t", load_ruleset(ruleset, POLICIES), POLICIES)
        table = cells_table("t")
        report = (
            engine.fetch_arrow(f"SELECT * FROM {META}.{table} ORDER BY _cell").to_pylist()
            if engine.table_exists(META, table)
            else []  # nothing suppressed: no cells table
        )
        published = engine.fetch_all(f"SELECT code, sector, period, nb FROM ({result.select_sql})")
        shown = {(c, s, p): n for c, s, p, n in published}
        return report, shown
    finally:
        engine.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SHAPE, seed=st.integers(0, 2**32 - 1))
def test_the_report_does_not_depend_on_the_row_order(
    communes: int, iris: list[int], sectors: int, counts: list[int], seed: int
) -> None:
    table: Table = complete_table(communes, iris, sectors, 1, counts, [])
    rows = table.arrow()
    shuffled = rows.take(pa.array(np.random.default_rng(seed).permutation(rows.num_rows)))
    try:
        first, shown = published_report(rows)
    except DataError:
        return  # a table that cannot be protected is not published, in any order
    second, shown_again = published_report(shuffled)
    assert second == first  # numbers, statuses, rules and protected cells alike
    assert shown_again == shown
    assert [r["_cell"] for r in first] == list(range(len(first)))
    keys = [(r["code"], r["sector"], r["period"]) for r in first]
    assert keys == sorted(keys)
    # the report's cells are the secret ones: none shown under the threshold, none derivable
    assert not [k for k, n in shown.items() if n is not None and 0 < n < 10]
    assert {k for k, n in shown.items() if n is None} == set(keys)
    assert derivable(table, set(keys)) == []


def test_a_rule_set_without_margins_numbers_its_cells_in_key_order() -> None:
    """Row by row (no ``secondary:``), the primary cells come from one SQL query: ordered on the key."""
    policies = {"secrecy": {"rows": {**POLICIES["secrecy"]["cells"], "secondary": None}}}
    rows = complete_table(4, [0, 3, 0], 4, 1, [11, 57, 9, 54, 58, 60, 18, 3, 2, 37, 32, 4], []).arrow()
    reports = []
    for seed in range(4):
        shuffled = rows.take(pa.array(np.random.default_rng(seed).permutation(rows.num_rows)))
        engine = open_duckdb(None)
        try:
            engine.register_arrow("_rows", shuffled)
            engine.execute("CREATE TABLE main.t AS SELECT code, parent, sector, period, nb FROM _rows")
            apply_ruleset(engine, "t", "SELECT * FROM main.t", load_ruleset("rows", policies), policies)
            reports.append(engine.fetch_arrow(f"SELECT * FROM {META}.{cells_table('t')} ORDER BY _cell").to_pylist())
        finally:
            engine.close()
    assert all(r == reports[0] for r in reports)
    keys = [(r["code"], r["sector"], r["period"]) for r in reports[0]]
    assert keys == sorted(keys) and len(keys) > 3
