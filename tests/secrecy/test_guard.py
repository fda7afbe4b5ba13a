"""The `statistical` guard on a real DuckDB engine: rules, overrides, report, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from territoria.core.errors import ConfigError
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.guards import get_guard
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import load_ruleset
from territoria.ledger import suppressed_cells

from .tables import derivable_cells

#: a workspace rule set "cells": at least 3 units, complements along commune -> EPCI and sector -> T
CELLS_POLICIES: dict[str, Any] = {
    "secrecy": {
        "cells": {
            "measures": ["value", "nb"],
            "rules": [{"id": "min3", "kind": "min_count", "column": "nb", "threshold": 3}],
            "secondary": {
                "dimensions": [{"column": "code", "parent": "parent_code"}, {"column": "sector", "total": "T"}],
                "cost": "nb",
            },
        }
    }
}


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    eng = open_duckdb(None)
    yield eng
    eng.close()


def _publish(engine: DuckDBEngine, select: str, rule: str, policies: dict[str, Any] | None = None) -> list[tuple]:
    result = get_guard(rule).protect(engine, "t", select, rule, policies or {})
    engine.execute(f"CREATE OR REPLACE TABLE published_t AS {result.select_sql}")
    return engine.fetch_all("SELECT * FROM published_t")


def test_fiscal_rule_never_publishes_fewer_than_11_households(engine: DuckDBEngine) -> None:
    rows = _publish(
        engine,
        "SELECT * FROM (VALUES ('a', 5, 1200.0), ('b', 11, 900.0), ('c', 0, 0.0), ('d', 30, 50.0)) "
        "t(code, nb_menages, value)",
        "statistical.fiscal",
    )
    got = {r[0]: (r[2], r[3]) for r in rows}
    assert got == {"a": (None, True), "b": (900.0, False), "c": (None, True), "d": (50.0, False)}
    report = suppressed_cells(engine, "t")
    assert [(r["cell"], r["status"], r["rules"]) for r in report] == [
        ({"code": c, "nb_menages": n}, "primary", ["fiscal-11-menages"]) for c, n in (("a", 5), ("c", 0))
    ]


def test_business_rule_frequency_and_dominance(engine: DuckDBEngine) -> None:
    rows = _publish(
        engine,
        "SELECT * FROM (VALUES ('a', 2, 10.0, 3.0), ('b', 5, 100.0, 86.0), ('c', 5, 100.0, 85.0)) "
        "t(code, nb_unites, value, plus_grande_contribution)",
        "statistical.business",
    )
    assert {r[0]: r[4] for r in rows} == {"a": True, "b": True, "c": False}


def test_policies_override_the_comparison_operator(engine: DuckDBEngine) -> None:
    sql = "SELECT * FROM (VALUES ('a', 10, 12.5), ('b', 40, 80.0)) t(code, nb_menages, value)"
    assert [r[3] for r in _publish(engine, sql, "statistical.fiscal")] == [True, False]
    stricter = {"secrecy": {"fiscal": {"rules": {"fiscal-11-menages": {"operator": ">", "threshold": 9}}}}}
    assert [r[3] for r in _publish(engine, sql, "statistical.fiscal", stricter)] == [False, False]


def test_a_workspace_may_declare_its_own_rule_set(engine: DuckDBEngine) -> None:
    policies = {
        "secrecy": {
            "sante": {
                "measures": ["value"],
                "rules": [{"id": "moins-de-10-sejours", "kind": "min_count", "column": "sejours", "threshold": 10}],
            }
        }
    }
    rows = _publish(engine, "SELECT 'x' AS code, 4 AS sejours, 2.0 AS value", "statistical.sante", policies)
    assert rows == [("x", 4, None, True)]


def _epci_rows(codes: list[str] | None = None) -> list[str]:
    """VALUES rows (code, parent_code, sector, nb, value): communes of EPCI E by two sectors and
    their totals, one small cell (a, s1)."""
    counts = {("a", "s1"): 2, ("a", "s2"): 40, ("b", "s1"): 25, ("b", "s2"): 30, ("c", "s1"): 12, ("c", "s2"): 50}
    rows = []
    for g in codes or ["a", "b", "c", "E"]:
        for s in ["s1", "s2", "T"]:
            n = sum(v for (gg, ss), v in counts.items() if (gg == g or g == "E") and (ss == s or s == "T"))
            rows.append(f"('{g}', {'NULL' if g == 'E' else repr('E')}, '{s}', {n}, {n * 10.0})")
    return rows


def test_secondary_suppression_in_sql_protects_against_margins(engine: DuckDBEngine) -> None:
    """Communes a, b, c of EPCI E by two sectors and their totals: one small cell, complements found."""
    select = f"SELECT * FROM (VALUES {', '.join(_epci_rows())}) t(code, parent_code, sector, nb, value)"
    policies = CELLS_POLICIES
    result = apply_ruleset(engine, "cells", select, load_ruleset("cells", policies))
    published = engine.fetch_all(f"SELECT code, sector, value, nb, secret FROM ({result.select_sql})")
    secret = {(r[0], r[1]) for r in published if r[4]}
    assert ("a", "s1") in secret and len(secret) == 4  # a hypercube: two communes x two sectors
    assert all(r[2] is None and r[3] is None for r in published if r[4])  # null, never zero
    parents = [{"a": "E", "b": "E", "c": "E", "E": None}, {"s1": "T", "s2": "T", "T": None}]
    assert derivable_cells([(r[0], r[1]) for r in published], parents, secret) == []
    assert result.report["primary"] == 1 and result.report["secondary"] == 3
    report = suppressed_cells(engine, "cells")
    assert [r["cell"] for r in report if r["status"] == "primary"] == [{"code": "a", "sector": "s1"}]
    assert [r["protects"] for r in report if r["status"] == "secondary"] == [{"code": "a", "sector": "s1"}] * 3


def test_unknown_guard_rule_set_or_column_is_not_published(engine: DuckDBEngine) -> None:
    with pytest.raises(ConfigError, match="no installed guard"):
        get_guard("nosuchguard.x")
    with pytest.raises(ConfigError, match="unknown secrecy rule set"):
        get_guard("statistical.nope").protect(engine, "t", "SELECT 1 AS value", "statistical.nope", {})
    with pytest.raises(ConfigError, match="names no rule set"):
        get_guard("statistical").protect(engine, "t", "SELECT 1 AS value", "statistical", {})
    with pytest.raises(ConfigError, match="nb_menages") as err:
        get_guard("statistical.fiscal").protect(engine, "t", "SELECT 1.0 AS value", "statistical.fiscal", {})
    assert err.value.hint and "columns of t" in err.value.hint
    bad = {"secrecy": {"fiscal": {"rules": {"no-such-rule": {"threshold": 3}}}}}
    with pytest.raises(ConfigError, match="unknown secrecy rule"):
        load_ruleset("fiscal", bad)
    invalid = {"secrecy": {"x": {"rules": [{"id": "r", "kind": "min_count"}]}}}
    with pytest.raises(ConfigError, match="invalid"):
        load_ruleset("x", invalid)


def test_a_plain_table_is_read_in_place_and_a_rowid_column_is_kept(engine: DuckDBEngine) -> None:
    """`SELECT * FROM schema.table` is protected without a copy; a table with its own `rowid`
    column (which hides DuckDB's pseudo-column) gets the same protection and keeps that column."""
    rows = [f"{r[:-1]}, {i % 3})" for i, r in enumerate(_epci_rows())]
    engine.execute("CREATE SCHEMA IF NOT EXISTS model")
    engine.execute(
        f"CREATE TABLE model.plain AS SELECT * EXCLUDE (rowid) FROM (VALUES {', '.join(rows)}) "
        "t(code, parent_code, sector, nb, value, rowid)"
    )
    engine.execute(f"CREATE TABLE model.with_rowid AS SELECT * FROM (VALUES {', '.join(rows)}) "
                   "t(code, parent_code, sector, nb, value, rowid)")  # fmt: skip
    policies = CELLS_POLICIES
    secret = []
    for table in ("plain", "with_rowid"):
        result = apply_ruleset(engine, table, f"SELECT * FROM model.{table}", load_ruleset("cells", policies))
        assert ("_secrecy_work" in result.select_sql) == (table == "with_rowid")
        published = engine.fetch_all(f"SELECT * FROM ({result.select_sql}) ORDER BY code, sector")
        columns = [r[0] for r in engine.fetch_all(f"DESCRIBE SELECT * FROM ({result.select_sql})")]
        assert columns[-1] == "secret" and ("rowid" in columns) == (table == "with_rowid")
        secret.append({(r[0], r[2]) for r in published if r[-1]})
        assert result.report["primary"] == 1 and result.report["secondary"] == 3
    assert secret[0] == secret[1] and ("a", "s1") in secret[0]


def test_secret_rows_of_a_table_with_gaps_are_flagged_by_their_own_ids(engine: DuckDBEngine) -> None:
    """DuckDB gets the secret rows as a bitmap read by row id, not a join on the ids: a table whose
    deleted rows left gaps in its ids is protected as its copy without gaps is."""
    rows = _epci_rows(["a", "b", "c", "E", "gone"])
    engine.execute("CREATE SCHEMA IF NOT EXISTS model")
    # the rows to delete come first, so that every kept row's id is not its position
    engine.execute(
        f"CREATE TABLE model.gaps AS SELECT * FROM (VALUES {', '.join(rows)}) t(code, parent_code, sector, nb, value) "
        "ORDER BY code <> 'gone', code, sector"
    )
    engine.execute("DELETE FROM model.gaps WHERE code = 'gone'")
    engine.execute("CREATE TABLE model.dense AS SELECT * FROM model.gaps")
    assert engine.fetch_all("SELECT min(rowid) FROM model.gaps") == [(3,)]
    published = []
    for table in ("gaps", "dense"):
        result = apply_ruleset(engine, table, f"SELECT * FROM model.{table}", load_ruleset("cells", CELLS_POLICIES))
        assert "JOIN" not in result.select_sql.replace("CROSS JOIN", "")
        published.append(engine.fetch_all(f"SELECT * FROM ({result.select_sql}) ORDER BY code, sector"))
    assert published[0] == published[1]
    secret = {(r[0], r[2]) for r in published[0] if r[-1]}
    assert ("a", "s1") in secret and len(secret) == 4
    assert all(r[3] is None and r[4] is None for r in published[0] if r[-1])


@pytest.mark.parametrize(
    ("rule", "select", "column"),
    [
        (
            {"id": "r", "kind": "min_count", "column": "nb", "threshold": 3},
            "SELECT 'x' AS code, '5' AS nb, 1.0 AS v",
            "nb",
        ),
        (
            {"id": "r", "kind": "dominance", "largest": "top", "total": "v"},
            "SELECT 'x' AS code, 'a' AS top, 1.0 AS v",
            "top",
        ),
        ({"id": "r", "kind": "masked_input", "column": "m"}, "SELECT 'x' AS code, 'oui' AS m, 1.0 AS v", "m"),
    ],
)
def test_a_rule_on_a_column_of_the_wrong_type_is_a_config_error(
    engine: DuckDBEngine, rule: dict[str, Any], select: str, column: str
) -> None:
    """A count read as text (a CSV column left untyped) is a mistake in the source's schema or the
    rule set: said as such, naming the column and its type, never an engine's binder error."""
    policies = {"secrecy": {"typed": {"measures": ["v"], "rules": [rule]}}}
    with pytest.raises(ConfigError, match=rf"'{column}' is string") as err:
        apply_ruleset(engine, "t", select, load_ruleset("typed", policies), policies)
    assert err.value.hint and "schema" in err.value.hint


def test_a_rule_on_numbers_of_any_kind_is_accepted(engine: DuckDBEngine) -> None:
    policies = {
        "secrecy": {
            "typed": {
                "measures": ["v", "d"],
                "rules": [
                    {"id": "r", "kind": "min_count", "column": "nb", "threshold": 3},
                    {"id": "m", "kind": "masked_input", "column": "m"},
                    {"id": "d", "kind": "dominance", "largest": "top", "total": "d"},
                ],
            }
        }
    }
    select = (
        "SELECT 'x' AS code, 5::HUGEINT AS nb, 1.5::REAL AS v, 2.25::DECIMAL(10, 2) AS d, 1 AS top, false AS m "
        "UNION ALL SELECT 'y', 1, 2, 3, 3, NULL"
    )
    result = apply_ruleset(engine, "t", select, load_ruleset("typed", policies), policies)
    rows = engine.fetch_all(f"SELECT code, secret FROM ({result.select_sql}) ORDER BY code")
    assert rows == [("x", False), ("y", True)]


def test_a_measure_of_an_additive_table_must_be_a_number(engine: DuckDBEngine) -> None:
    """Margins add measures up: a measure read as text is refused before any cell is decided."""
    policies = {"secrecy": {"cells": {**CELLS_POLICIES["secrecy"]["cells"]}}}
    select = "SELECT 'a' AS code, 'E' AS parent_code, 's1' AS sector, '12,5' AS value, 4 AS nb"
    with pytest.raises(ConfigError, match="'value' is string, the rule set needs a number"):
        apply_ruleset(engine, "t", select, load_ruleset("cells", policies), policies)
