"""Primary rules compiled to SQL: one pass over the table flags every cell that fails a rule."""

from __future__ import annotations

import pyarrow as pa

from territoria.engines.base import Engine, quote_ident
from territoria.governance.secrecy.rules import Rule, RuleSet


def relation_schema(engine: Engine, relation: str) -> pa.Schema:
    """Columns and types of a table or a parenthesised query, on any engine (no DESCRIBE: DuckDB's)."""
    return engine.fetch_arrow(f"SELECT * FROM {relation} LIMIT 0").schema


def relation_columns(engine: Engine, relation: str) -> list[str]:
    return list(relation_schema(engine, relation).names)


def _numeric(t: pa.DataType) -> bool:
    # NULL: a column no row fills has no type of its own, and compares with anything
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t))


def _flag(t: pa.DataType) -> bool:
    return bool(pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_null(t))


def mistyped_columns(ruleset: RuleSet, schema: pa.Schema) -> list[tuple[str, str, str]]:
    """(column, its type, the type a rule needs) for each column a rule reads as a number (a count,
    a contribution; every measure of an additive table) or as a flag (``masked_input``) that is
    not one. Compared as written, a count read as text is refused by DuckDB and PostgreSQL in the
    middle of the run, and cast by Spark, where ``'12,5'`` becomes NULL."""
    needs: dict[str, str] = {}
    for rule in ruleset.rules:
        if rule.kind == "min_count" and rule.column:
            needs[rule.column] = "a number"
        elif rule.kind == "dominance":
            needs.update({c: "a number" for c in (rule.largest, rule.total) if c})
        elif rule.kind == "masked_input" and rule.column:
            needs[rule.column] = "a boolean (or 0/1)"
    if ruleset.secondary:
        needs.update({m: "a number" for m in ruleset.measures})
    out = []
    for column, need in needs.items():
        index = schema.get_field_index(column)
        if index < 0:
            continue  # a missing column is reported as such
        t = schema.field(index).type
        if not (_flag(t) if need.startswith("a boolean") else _numeric(t)):
            out.append((column, str(t), need))
    return out


def has_rowid_pseudo_column(engine: Engine) -> bool:
    """DuckDB's tables have a ``rowid`` pseudo-column; other dialects number a materialised copy."""
    return engine.capabilities.sql_dialect == "duckdb"


def _violation(rule: Rule) -> str:
    if rule.kind == "min_count":
        col = quote_ident(rule.column or "")
        keep = f"{col} {rule.operator} {rule.threshold!r}"
        zero = f" AND ({col} IS NULL OR {col} <> 0)" if rule.ignore_zero else ""
        return f"(NOT coalesce({keep}, false){zero})"
    if rule.kind == "dominance":
        largest, total = quote_ident(rule.largest or ""), quote_ident(rule.total or "")
        return f"coalesce({largest} > {rule.share!r} * {total} AND {total} > 0, false)"
    if rule.kind == "expression":
        return f"coalesce(({rule.sql}), false)"
    return "false"


def _applies(rule: Rule) -> str:
    return f"coalesce(({rule.when}), false)" if rule.when else "true"


def rule_columns(ruleset: RuleSet) -> set[str]:
    cols: set[str] = set(ruleset.measures)
    for r in ruleset.rules:
        cols.update(c for c in (r.column, r.largest, r.total) if c)
    if ruleset.secondary:
        cols.update(d.column for d in ruleset.secondary.dimensions)
        cols.update(d.parent for d in ruleset.secondary.dimensions if d.parent)
        cols.update(ruleset.secondary.partition)
    return cols


def checked_rules(ruleset: RuleSet) -> list[Rule]:
    """The rules a cell can fail (``masked_input`` rules mark cells masked upstream instead)."""
    return [r for r in ruleset.rules if r.kind != "masked_input"]


def fails_sql(rule: Rule) -> str:
    """SQL boolean: the cell fails ``rule``."""
    return f"({_applies(rule)} AND {_violation(rule)})"


def masked_sql(ruleset: RuleSet, has_secret: bool) -> str:
    """SQL boolean: the cell was masked upstream (a ``masked_input`` rule, or ``secret`` already set)."""
    masked = [
        # a flag read as 0/1 is a flag too (DuckDB casts it implicitly, PostgreSQL only when told)
        f"({_applies(r)} AND coalesce(CAST({quote_ident(r.column or '')} AS BOOLEAN), false))"
        for r in ruleset.rules
        if r.kind == "masked_input"
    ]
    if has_secret:
        masked.append("coalesce(secret, false)")
    return "(" + (" OR ".join(masked) or "false") + ")"


def flags_sql(ruleset: RuleSet, relation: str, has_secret: bool, row_id: str = "rowid") -> str:
    """Per row of ``relation``: its id (``_row``, from ``row_id``), whether it fails each checked rule
    (``_rule0``, ``_rule1``...), its measures (``_v0``...), whether it was masked upstream, its cost and
    its key columns."""
    rules = [f"{fails_sql(r)} AS _rule{i}" for i, r in enumerate(checked_rules(ruleset))]
    # the true values (``_v0``, ``_v1``...): the protection loop bounds them as an outsider would
    rules += [f"CAST({quote_ident(m)} AS DOUBLE) AS _v{i}" for i, m in enumerate(ruleset.measures)]
    cost = ruleset.secondary.cost if ruleset.secondary else "1"
    extra = []
    if ruleset.secondary:
        cols = [d.column for d in ruleset.secondary.dimensions]
        cols += [d.parent for d in ruleset.secondary.dimensions if d.parent]
        cols += ruleset.secondary.partition
        extra = [quote_ident(c) for c in dict.fromkeys(cols)]
    return (
        f"SELECT {row_id} AS _row{''.join(', ' + r for r in rules)}, {masked_sql(ruleset, has_secret)} AS _masked, "
        f"CAST(({cost}) AS DOUBLE) AS _cost{''.join(', ' + c for c in extra)} FROM {relation}"
    )
