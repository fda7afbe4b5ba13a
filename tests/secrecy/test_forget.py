"""`territoria secrecy forget`: the audited reset of a dataset's secrecy memory, and the audit of a
publication against the one before it (which the reset leaves in the ledger)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.secrecy.adversary.across import across_publications
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import load_ruleset
from territoria.ledger import forget_suppressions, suppressed_cells

from .tables import Key, Table, complete_table, derivable
from .test_republication import POLICIES, SHAPE

KEYS = ["code", "sector", "period"]


def _relaxed(threshold: int) -> dict[str, Any]:
    """The test rule set with another threshold (the statistical officer's decision)."""
    rules = dict(POLICIES["secrecy"]["cells"])
    rules["rules"] = [{**rules["rules"][0], "threshold": threshold}]
    return {"secrecy": {"cells": rules}}


def _publish(engine: DuckDBEngine, table: Table, policies: dict[str, Any]) -> dict[Key, int | None]:
    """``table`` published through the real guard and ledger: each cell's published count."""
    engine.register_arrow("_rows", table.arrow())
    engine.execute("CREATE OR REPLACE TABLE main.t AS SELECT code, parent, sector, period, nb FROM _rows")
    engine.execute("DROP VIEW IF EXISTS _rows")
    result = apply_ruleset(engine, "t", "SELECT * FROM main.t", load_ruleset("cells", policies), policies)
    engine.execute(f"CREATE OR REPLACE TABLE main.published_t AS {result.select_sql}")
    return {(c, s, p): n for c, s, p, n in engine.fetch_all("SELECT code, sector, period, nb FROM main.published_t")}


def _across(engine: DuckDBEngine, policies: dict[str, Any]) -> Any:
    rows = engine.fetch_arrow("SELECT * FROM main.published_t")
    return across_publications(engine, "t", rows, load_ruleset("cells", policies), KEYS)


def _primary(engine: DuckDBEngine) -> set[Key]:
    return {tuple(c["cell"][k] for k in KEYS) for c in suppressed_cells(engine, "t") if c["status"] == "primary"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**SHAPE)
def test_a_relaxed_rule_publishes_more_only_once_forgotten_and_the_audit_sees_the_difference(
    communes: int, iris: list[int], sectors: int, counts: list[int]
) -> None:
    """Published with a threshold of 10, then 5. Remembering, the second publication hides what the
    first hid, and the two determine no primary cell together. Forgotten, it hides only what the new
    rule needs: nothing published under 5, nothing derivable from it alone, and every primary cell of
    the first that it now shows is reported by the audit across the two publications."""
    table = complete_table(communes, iris, sectors, 1, counts, [])
    strict, relaxed = _relaxed(10), _relaxed(5)
    for forget in (False, True):
        engine = open_duckdb(None)
        try:
            try:
                _publish(engine, table, strict)
            except Exception as exc:  # a table the rule cannot protect is published by neither
                assert type(exc).__name__ == "DataError"
                return
            before = _primary(engine)
            if forget:
                had = bool(suppressed_cells(engine, "t"))
                assert forget_suppressions(engine, "t") == had
            shown = _publish(engine, table, relaxed)
            both = _across(engine, relaxed)
        finally:
            engine.close()
        secret = {k for k, n in shown.items() if n is None}
        assert not [k for k, n in shown.items() if n is not None and 0 < n < 5]
        assert derivable(table, secret) == []
        given_back = before - secret
        if not forget:
            assert given_back == set()  # remembered: hidden again
            assert both is None or both.primary == 0
        elif given_back:
            assert both is not None and both.determined["previous"].get("primary", 0) >= len(given_back)
            listed = {tuple(c.values()) for p, status, c in both.examples if p == "previous" and status == "primary"}
            assert listed <= given_back
