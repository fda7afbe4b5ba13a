"""A cell the secrecy memory keeps hidden is reported for what it is: ``remembered``, with what it
was when first hidden. Before, it was reported ``secondary``: a cell hidden as primary under a rule
since relaxed lost that kind in the suppression report, and once forgotten, ``territoria secrecy
audit`` (across the two publications) did not count it as the primary cell it is when the new
publication gives it back."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.secrecy.forget import remembered
from territoria.ledger import PRIMARY_KINDS, cell_kind, forget_suppressions, suppressed_cells, suppression_counts

from .tables import Key, Table, complete_table
from .test_forget import KEYS, _across, _publish, _relaxed
from .test_republication import SHAPE


def _kinds(engine: DuckDBEngine) -> dict[Key, str]:
    return {tuple(c["cell"][k] for k in KEYS): cell_kind(c) for c in suppressed_cells(engine, "t")}


def _below(table: Table, threshold: int) -> set[Key]:
    """The cells a min_count rule of ``threshold`` hides on their own (empty cells are published)."""
    return {k for k, n in table.cells.items() if 0 < n < threshold}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SHAPE)
def test_a_remembered_cell_keeps_the_kind_it_was_hidden_as(
    communes: int, iris: list[int], sectors: int, counts: list[int]
) -> None:
    """Published under 10 units, then 5, then 3 (remembering): each cell hidden again is primary
    where the rule in force hides it, else remembered as what it was first hidden as."""
    table = complete_table(communes, iris, sectors, 1, counts, [])
    engine = open_duckdb(None)
    try:
        try:
            _publish(engine, table, _relaxed(10))
        except Exception as exc:  # a table the rule cannot protect is published by no one
            assert type(exc).__name__ == "DataError"
            return
        before = _kinds(engine)
        for threshold in (5, 3):
            _publish(engine, table, _relaxed(threshold))
            now = _kinds(engine)
            assert set(before) <= set(now)  # remembered: hidden again
            for key, kind in now.items():
                if key in _below(table, threshold):
                    assert kind == "primary", (key, kind)
                elif key in before:  # what it was when first hidden, along the line of publications
                    assert kind == f"remembered {before[key].removeprefix('remembered ')}", (key, kind, before[key])
                else:
                    assert kind == "secondary", (key, kind)  # a complement of a remembered cell
            counts_now = suppression_counts(engine)
            assert counts_now.get(("t", "remembered"), 0) == sum(k.startswith("remembered") for k in now.values())
            memories = remembered(engine, ["t"])
            assert sum(m.primary + m.secondary + m.remembered for m in memories) == len(now)
            before = now
    finally:
        engine.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SHAPE)
def test_the_audit_counts_a_remembered_primary_cell_given_back_as_primary(
    communes: int, iris: list[int], sectors: int, counts: list[int]
) -> None:
    """Under 10 units, then 5 remembering (the cells the first hid as primary are remembered), then
    forgotten and published afresh under 5: every cell primary under 10 that the last publication
    shows is counted primary by the audit across the last two (its exit status follows it)."""
    table = complete_table(communes, iris, sectors, 1, counts, [])
    engine = open_duckdb(None)
    try:
        try:
            _publish(engine, table, _relaxed(10))
        except Exception as exc:
            assert type(exc).__name__ == "DataError"
            return
        primary = {k for k, kind in _kinds(engine).items() if kind == "primary"}
        _publish(engine, table, _relaxed(5))
        forget_suppressions(engine, "t")
        shown = _publish(engine, table, _relaxed(5))
        both: Any = _across(engine, _relaxed(5))
    finally:
        engine.close()
    given_back = {k for k in primary if shown[k] is not None}
    if given_back:
        assert both is not None and both.primary >= len(given_back)
        listed = {tuple(c.values()) for p, kind, c in both.examples if p == "previous" and kind in PRIMARY_KINDS}
        assert listed <= given_back
