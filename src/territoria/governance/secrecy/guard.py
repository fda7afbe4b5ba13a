"""The ``statistical`` publication guard: applies a rule set to the rows about to be published.

``secrecy: statistical.energy`` on a dataset or indicator selects the rule set ``energy``.
Suppressed cells are published with their measures null and ``secret = true`` (never zero);
what was suppressed and why goes to the step report and to ``_territoria.secrecy_suppressions``
(one row per primary or secondary suppression; cells masked upstream are only counted, their
own producer's table or the protected table they were read from lists them).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa

from territoria.core.errors import ConfigError
from territoria.engines.base import Engine, quote_ident
from territoria.governance.guards import GuardResult
from territoria.governance.secrecy.primary import flags_sql, rule_columns
from territoria.governance.secrecy.rules import RuleSet, load_ruleset
from territoria.governance.secrecy.secondary import MASKED, PRIMARY, PUBLISHED, SECONDARY, protect_cells

REPORT_TABLE = "_territoria.secrecy_suppressions"
STATUS_LABEL = {PRIMARY: "primary", SECONDARY: "secondary", MASKED: "masked upstream"}
REPORT_EXAMPLES = 20

REPORT_DDL = (
    f"CREATE TABLE IF NOT EXISTS {REPORT_TABLE} (dataset VARCHAR, ruleset VARCHAR, recorded_at TIMESTAMP, "
    "cell JSON, status VARCHAR, rules VARCHAR[], protects JSON)"
)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def key_columns(ruleset: RuleSet, columns: list[str]) -> list[str]:
    if ruleset.secondary:
        keys = [*ruleset.secondary.partition, *(d.column for d in ruleset.secondary.dimensions)]
        return list(dict.fromkeys(keys))
    return [c for c in columns if c not in ruleset.measures and c not in ("secret", "_cell")]


def apply_ruleset(engine: Engine, dataset: str, select_sql: str, ruleset: RuleSet) -> GuardResult:
    work = quote_ident(f"_secrecy_work_{_safe(dataset)}")
    decided = quote_ident(f"_secrecy_decision_{_safe(dataset)}")
    order = ""
    if ruleset.secondary:
        keys = [*ruleset.secondary.partition, *(d.column for d in ruleset.secondary.dimensions)]
        order = "ORDER BY " + ", ".join(quote_ident(k) for k in keys)
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT row_number() OVER ({order}) - 1 AS _cell, * FROM ({select_sql})"
    )
    columns = [r[0] for r in engine.fetch_all(f"DESCRIBE {work}")]
    missing = sorted(c for c in rule_columns(ruleset) if c not in columns)
    if missing:
        raise ConfigError(
            f"secrecy rule set {ruleset.name!r} names column(s) {', '.join(missing)} that {dataset} does not have",
            hint=f"columns of {dataset}: {', '.join(c for c in columns if c != '_cell')}",
        )
    # The rule ids stay in the engine (a list per cell is slow to move); numpy gets flat arrays.
    flagged = quote_ident(f"_secrecy_rules_{_safe(dataset)}")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {flagged} AS {flags_sql(ruleset, work, 'secret' in columns)}")
    flags = engine.fetch_arrow(f"SELECT * EXCLUDE (_rules), len(_rules) > 0 AS _primary FROM {flagged} ORDER BY _cell")
    primary = flags["_primary"].to_numpy(zero_copy_only=False).astype(bool)
    masked = flags["_masked"].to_numpy(zero_copy_only=False).astype(bool)
    cost = flags["_cost"].to_numpy(zero_copy_only=False)
    decision = protect_cells(flags, ruleset.secondary, primary, masked, np.nan_to_num(cost, nan=1.0))
    engine.register_arrow(
        "_secrecy_decision_arrow",
        pa.table({"_cell": flags["_cell"], "_status": decision.status, "_protects": decision.protects}),
    )
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {decided} AS SELECT * FROM _secrecy_decision_arrow")
    report = _report(engine, dataset, ruleset, work, decided, flagged, key_columns(ruleset, columns), decision.status)
    nulls = ", ".join(
        f"CASE WHEN d._status > {PUBLISHED} THEN NULL ELSE w.{quote_ident(m)} END AS {quote_ident(m)}"
        for m in ruleset.measures
    )
    exclude = "_cell, secret" if "secret" in columns else "_cell"
    select = (
        f"SELECT w.* EXCLUDE ({exclude}) REPLACE ({nulls}), d._status > {PUBLISHED} AS secret "
        f"FROM {work} w JOIN {decided} d USING (_cell) ORDER BY w._cell"
    )
    return GuardResult(select, report)


def _report(
    engine: Engine,
    dataset: str,
    ruleset: RuleSet,
    work: str,
    decided: str,
    flagged: str,
    keys: list[str],
    status: np.ndarray,
) -> dict[str, Any]:
    cell = "to_json(struct_pack(" + ", ".join(f"{quote_ident(k)} := w.{quote_ident(k)}" for k in keys) + "))"
    cell_p = "to_json(struct_pack(" + ", ".join(f"{quote_ident(k)} := p.{quote_ident(k)}" for k in keys) + "))"
    engine.execute("CREATE SCHEMA IF NOT EXISTS _territoria")
    engine.execute(REPORT_DDL)
    label = "CASE d._status " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in STATUS_LABEL.items()) + " END"
    with engine.transaction():
        engine.execute(f"DELETE FROM {REPORT_TABLE} WHERE dataset = ?", [dataset])
        engine.execute(
            f"INSERT INTO {REPORT_TABLE} SELECT ?, ?, now()::TIMESTAMP, {cell}, {label}, "
            f"CASE WHEN d._status = {PRIMARY} THEN r._rules ELSE []::VARCHAR[] END, "
            f"CASE WHEN d._protects >= 0 THEN {cell_p} END "
            f"FROM {work} w JOIN {decided} d USING (_cell) JOIN {flagged} r USING (_cell) "
            f"LEFT JOIN {work} p ON p._cell = d._protects WHERE d._status IN ({PRIMARY}, {SECONDARY}) ORDER BY w._cell",
            [dataset, ruleset.name],
        )
    by_rule = engine.fetch_all(
        f"SELECT rule, count(*) FROM (SELECT unnest(r._rules) AS rule FROM {flagged} r JOIN {decided} d "
        f"USING (_cell) WHERE d._status = {PRIMARY}) GROUP BY rule ORDER BY rule"
    )
    examples = engine.fetch_all(
        f"SELECT cell, status, rules FROM {REPORT_TABLE} WHERE dataset = ? LIMIT {REPORT_EXAMPLES}", [dataset]
    )
    return {
        "ruleset": ruleset.name,
        "cells": len(status),
        "published": int((status == PUBLISHED).sum()),
        "primary": int((status == PRIMARY).sum()),
        "secondary": int((status == SECONDARY).sum()),
        "masked_upstream": int((status == MASKED).sum()),
        "primary_by_rule": {r[0]: int(r[1]) for r in by_rule},
        "examples": [{"cell": e[0], "status": e[1], "rules": e[2]} for e in examples],
        "table": REPORT_TABLE,
    }


class StatisticalGuard:
    """Rule sets named ``statistical.<ruleset>``."""

    def protect(
        self, engine: Engine, dataset: str, select_sql: str, rule: str, policies: dict[str, Any]
    ) -> GuardResult:
        name = rule.split(".", 1)[1] if "." in rule else ""
        if not name:
            raise ConfigError(
                f"secrecy rule {rule!r} names no rule set; the dataset is not published",
                hint="write `secrecy: statistical.<ruleset>`, e.g. statistical.energy",
            )
        return apply_ruleset(engine, dataset, select_sql, load_ruleset(name, policies))
