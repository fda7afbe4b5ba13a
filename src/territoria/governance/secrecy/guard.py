"""The ``statistical`` publication guard: applies a rule set to the rows about to be published.

``secrecy: statistical.energy`` on a dataset or indicator selects the rule set ``energy``.
Suppressed cells are published with their measures null and ``secret = true`` (never zero);
what was suppressed and why goes to the step report and to the ledger's suppression report
(one row per primary or secondary suppression; cells masked upstream are only counted, their
own producer's table or the protected table they were read from lists them).

The rows are read once: a plain table is used as it is (``SELECT * FROM t``, the publish step),
any other query is materialised once. Rows are identified by their ``rowid``; the engine gets
back the rows of the secret cells, and joins them; the report is written from the arrays in hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from territoria.core.errors import ConfigError
from territoria.engines.base import Engine, quote_ident
from territoria.governance.guards import GuardResult
from territoria.governance.secrecy.groups import group_shares
from territoria.governance.secrecy.joint import (
    GROUP_PLANS,
    Link,
    Member,
    cell_keys,
    cell_order,
    content_digest,
    joint_decisions,
    key_order,
    link_rows,
    read_member,
)
from territoria.governance.secrecy.memory import previous_hidden, with_memory
from territoria.governance.secrecy.primary import (
    checked_rules,
    fails_sql,
    has_rowid_pseudo_column,
    masked_sql,
    mistyped_columns,
    relation_columns,
    relation_schema,
    rule_columns,
)
from territoria.governance.secrecy.protection import protection_loop
from territoria.governance.secrecy.rules import RuleSet, load_ruleset
from territoria.governance.secrecy.secondary import MASKED, PRIMARY, PUBLISHED, SECONDARY, Decision
from territoria.ledger import META, cells_table, suppression_examples, write_suppressions
from territoria.ledger.suppressions import (
    CELL_COLUMNS,
    PRIMARY_CODE,
    REMEMBERED_PRIMARY_CODE,
    REMEMBERED_SECONDARY_CODE,
    SECONDARY_CODE,
)
from territoria.workspace.policies import Policies

REPORT_EXAMPLES = 20
BATCH_ROWS = 122_880

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'
_PLAIN_SCAN = re.compile(rf"\s*SELECT\s+\*\s+FROM\s+({_IDENT})\s*\.\s*({_IDENT})\s*;?\s*", re.IGNORECASE)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident


def key_columns(ruleset: RuleSet, columns: list[str]) -> list[str]:
    if ruleset.secondary:
        return cell_keys(ruleset)
    return [c for c in columns if c not in ruleset.measures and c != "secret"]


ROW_ID = "_secrecy_row"


def report_table(dataset: str) -> str:
    """Where the suppression report lists ``dataset``'s suppressed cells (the step report says so)."""
    return f"{META}.{cells_table(dataset)}"


def _relation(engine: Engine, dataset: str, select_sql: str) -> tuple[str, str]:
    """A base table holding the rows, and the SQL of a row's id in it: the table itself and its
    ``rowid`` for ``SELECT * FROM schema.table``, else a temp table materialising the query once.
    (A table with its own ``rowid`` column hides the pseudo-column: it gets a numbered copy, and
    so does every relation on an engine without DuckDB's ``rowid``.)"""
    plain = _PLAIN_SCAN.fullmatch(select_sql)
    rowid = has_rowid_pseudo_column(engine)
    if plain and rowid:
        schema, name = _unquote(plain.group(1)), _unquote(plain.group(2))
        found = engine.fetch_all(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
            "AND table_name = ?",
            [schema, name],
        )
        table = f"{quote_ident(schema)}.{quote_ident(name)}"
        if found and not _has_rowid(engine, table):
            return table, "rowid"
    work = quote_ident(f"_secrecy_work_{_safe(dataset)}")
    if not rowid or _has_rowid(engine, f"({select_sql})"):
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT *, row_number() OVER () AS {ROW_ID} FROM ({select_sql})"
        )
        return work, ROW_ID
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT * FROM ({select_sql})")
    return work, "rowid"


def _has_rowid(engine: Engine, relation: str) -> bool:
    return any(c.lower() == "rowid" for c in relation_columns(engine, relation))


def apply_ruleset(
    engine: Engine,
    dataset: str,
    select_sql: str,
    ruleset: RuleSet,
    policies: Policies | Mapping[str, Any] | None = None,
) -> GuardResult:
    rel, row_id = _relation(engine, dataset, select_sql)
    schema = relation_schema(engine, rel)
    columns = [c for c in schema.names if c != ROW_ID]
    _check_columns(ruleset, dataset, schema)
    has_secret = "secret" in columns
    keys = key_columns(ruleset, columns)
    _reserved_keys(dataset, keys)
    if ruleset.secondary is None:
        return _row_by_row(engine, dataset, ruleset, rel, keys, columns, has_secret)
    member = read_member(engine, dataset, ruleset, rel, row_id)
    decision, partners, loop, remembered, order = _decide(engine, member, rel, policies)
    flags, fails = member.flags, member.fails
    status = decision.status
    row = flags["_row"].to_numpy()
    secret = _secret_rows(engine, dataset, row, status > PUBLISHED, rel, row_id)
    by_rule = {r.id: int((f & (status == PRIMARY)).sum()) for r, f in zip(checked_rules(ruleset), fails, strict=True)}
    cells = _suppressions(flags, keys, decision, fails, remembered, order)
    report = _report(engine, dataset, ruleset, cells, keys, status, by_rule)
    if partners:
        report["shared_with"] = partners
    if loop is not None:
        report["protection_loop"] = loop
    flag, source = secret
    nulls = {m: f"CASE WHEN NOT {flag} THEN w.{quote_ident(m)} END AS {quote_ident(m)}" for m in ruleset.measures}
    return GuardResult(f"SELECT {_projection(columns, nulls, 'w.')}, {flag} AS secret FROM {source}", report)


def _secret_rows(
    engine: Engine, dataset: str, rows: np.ndarray, secret: np.ndarray, rel: str, row_id: str
) -> tuple[str, str]:
    """Hands the engine which rows are secret: (SQL of a row's flag, the FROM clause giving it).

    On DuckDB, a bitmap of the rows in one value, each row reading its own bit by its id: no
    hash join of millions of rows on their ids (rows holds every id of ``rel``, gaps included).
    Elsewhere, the secret rows' ids in a table, joined."""
    table = quote_ident(f"_secrecy_secret_{_safe(dataset)}")
    size = int(rows.max()) + 1 if len(rows) else 0
    if has_rowid_pseudo_column(engine) and 0 < size < 2**31 and int(rows.min()) >= 0:
        bits = np.zeros(size, dtype=bool)
        bits[rows[secret]] = True
        # BLOB to BIT keeps the bytes in order, most significant bit first: bit i is row i
        engine.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(CAST(? AS BLOB) AS BIT) AS bits",
            [np.packbits(bits).tobytes()],
        )
        return f"(get_bit(s.bits, CAST(w.{row_id} AS INTEGER)) = 1)", f"{rel} w CROSS JOIN {table} s"
    engine.register_arrow("_secrecy_arrow", _batched(pa.table({"_row": rows[secret]})))
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _secrecy_arrow")
    engine.execute("DROP VIEW IF EXISTS _secrecy_arrow")  # the connection no longer holds the arrays
    return "(s._row IS NOT NULL)", f"{rel} w LEFT JOIN {table} s ON s._row = w.{row_id}"


def _check_columns(ruleset: RuleSet, dataset: str, schema: pa.Schema) -> None:
    columns = [c for c in schema.names if c != ROW_ID]
    missing = sorted(c for c in rule_columns(ruleset) if c not in columns)
    if missing:
        raise ConfigError(
            f"secrecy rule set {ruleset.name!r} names column(s) {', '.join(missing)} that {dataset} does not have",
            hint=f"columns of {dataset}: {', '.join(columns)}",
        )
    wrong = mistyped_columns(ruleset, schema)
    if wrong:
        said = "; ".join(f"{c!r} is {t}, the rule set needs {need}" for c, t, need in wrong)
        raise ConfigError(
            f"secrecy rule set {ruleset.name!r} cannot protect {dataset}: {said}; the dataset is not published",
            hint="type the column in the source's schema (e.g. `type: integer`), or cast it in the model "
            "that builds the dataset",
        )


def _partner_relation(engine: Engine, own: str, dataset: str) -> str | None:
    """The unprotected table of a dataset sharing cells with ours: beside ours (same schema) first,
    else in any schema but the published one; None when it is not built (nor published)."""
    plain = _PLAIN_SCAN.fullmatch(f"SELECT * FROM {own}")
    schema = _unquote(plain.group(1)) if plain else ""
    found = sorted((s != schema, s) for s, n in engine.tables() if n == dataset and s != "published")
    return f"{quote_ident(found[0][1])}.{quote_ident(dataset)}" if found else None


@dataclass(frozen=True)
class Remembered:
    """What a member remembered of the publication before (``memory``): per row of its flags,
    whether that one hid the cell and what the cell was when first hidden (None: nothing
    remembered); for a group, the hash of its content (None for a table on its own)."""

    hidden: np.ndarray | None
    was: np.ndarray | None
    content: str | None


def _decide(
    engine: Engine, member: Member, rel: str, policies: Policies | Mapping[str, Any] | None
) -> tuple[Decision, list[str], dict[str, Any] | None, Remembered, np.ndarray | None]:
    """This table's decision, taken with every table that shares cells with it (``joint``), the
    report of the protection loop when the rule sets ask for it (``protection_loop: true``), what
    it remembered of the publication before (with the group's content hash) and, for a group, this
    table's ``cell_order``."""
    names, shares = group_shares(member.dataset, policies)
    members = {member.dataset: member}
    for name in sorted(names):
        if name in members:
            continue
        relation = _partner_relation(engine, rel, name)
        if relation is None:
            continue  # not built in this workspace: it publishes nothing
        ruleset = load_ruleset(names[name], policies)
        if ruleset.secondary is None:
            raise ConfigError(
                f"secrecy rule set {ruleset.name!r} shares cells with {member.dataset} but declares no margins",
                hint="give it a `secondary:` section (its dimensions), or remove the `shares:` entry",
            )
        _check_columns(ruleset, name, relation_schema(engine, relation))
        members[name] = read_member(engine, name, ruleset, *_relation(engine, name, f"SELECT * FROM {relation}"))
    order = sorted(members)
    group = [members[n] for n in order]
    links = []
    # the same links in the same order whichever member's step asks (the group's content hash and
    # its decisions depend on them): ``group_shares`` lists them from the asking member outwards
    for share in sorted(shares, key=lambda s: (s.dataset, s.with_, s.model_dump_json())):
        if share.dataset in members and share.with_ in members:
            a, b = members[share.dataset], members[share.with_]
            rows_a, rows_b, bound, bound_a = link_rows(engine, share, a, b)
            links.append(Link(order.index(a.dataset), order.index(b.dataset), rows_a, rows_b, bound, bound_a))

    # what the previous publication hid stays hidden (``memory``): forced, like another member's cells
    orders = [cell_order(m) for m in group] if len(group) > 1 else None  # each member's cells in key order
    content = content_digest(group, orders) if orders is not None else None
    remembered_kinds = [previous_hidden(engine, m, content) for m in group]
    memory = [hidden for hidden, _ in remembered_kinds]
    sizes = [m.flags.num_rows for m in group]

    def decide(extra: list[np.ndarray] | None) -> list[Decision]:
        extra = with_memory(extra, memory, sizes)
        if len(group) == 1:
            return [group[0].decide(None if extra is None else extra[0])]
        return joint_decisions(group, links, extra)

    def plan() -> tuple[list[Decision], dict[str, Any] | None]:
        if any(m.ruleset.protection_loop for m in group):
            return protection_loop(group, links, decide)
        return decide(None), None

    # each member's publish step needs the group's decisions: computed once for the same inputs
    decisions, loop = GROUP_PLANS.get(group, links, plan, memory, orders, content) if len(group) > 1 else plan()
    at = order.index(member.dataset)
    remembered = Remembered(memory[at], remembered_kinds[at][1], content)
    cells = None if orders is None else orders[at]
    return decisions[at], [n for n in order if n != member.dataset], loop, remembered, cells


def _projection(columns: list[str], replaced: dict[str, str], prefix: str = "") -> str:
    """The published columns in order: the rows' own but ``secret`` (written anew), the measures
    replaced by their protected expression (no ``* EXCLUDE/REPLACE``: not every engine has it)."""
    return ", ".join(replaced.get(c) or f"{prefix}{quote_ident(c)}" for c in columns if c != "secret")


def _batched(table: pa.Table) -> pa.Table:
    """The engine scans an arrow table batch by batch in parallel: one big chunk would be one thread."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS), schema=table.schema)


def _suppressions(
    flags: pa.Table,
    keys: list[str],
    decision: Decision,
    fails: list[np.ndarray],
    remembered: Remembered | None = None,
    order: np.ndarray | None = None,
) -> pa.Table:
    """The suppressed cells from the arrays already in hand, in the report's typed shape: key,
    number, status code, failed rules (a bit set) and the number of the primary cell each
    secondary one protects (no join back to the table). A cell the memory alone keeps hidden (no
    rule of its own fails) is ``remembered``, with what it was when first hidden. ``order``: the
    member's ``cell_order``, when its group has taken it."""
    status = decision.status
    hidden = (status == PRIMARY) | (status == SECONDARY)
    # the report numbers its cells (``_cell``) in key order, the same whatever order the rows were
    # read in (the storage order of a table built again, or of a parallel scan, is not
    # reproducible): a group's member has its cells in that order already
    suppressed = key_order(flags, keys, [], np.flatnonzero(hidden)) if order is None else order[hidden[order]]
    protects = decision.protects[suppressed]
    bits = np.zeros(len(suppressed), dtype=np.int64)
    for i, f in enumerate(fails):
        bits |= f[suppressed].astype(np.int64) << i
    # a protected cell is a primary one, so it is in ``suppressed``: its number there
    number = np.full(flags.num_rows, -1, dtype=np.int64)
    number[suppressed] = np.arange(len(suppressed))
    at = number[np.maximum(protects, 0)] if len(suppressed) else protects
    found = (protects >= 0) & (at >= 0)
    columns: dict[str, Any] = {k: flags[k].take(pa.array(suppressed)) for k in keys}
    primary = status[suppressed] == PRIMARY
    columns["_cell"] = pa.array(np.arange(len(suppressed), dtype=np.int32))
    codes = np.where(primary, PRIMARY_CODE, SECONDARY_CODE).astype(np.int8)
    if remembered is not None and remembered.was is not None:
        was = remembered.was[suppressed]
        codes[~primary & (was == PRIMARY_CODE)] = REMEMBERED_PRIMARY_CODE
        codes[~primary & (was == SECONDARY_CODE)] = REMEMBERED_SECONDARY_CODE
    columns["_status"] = pa.array(codes)
    columns["_rules"] = pa.array(np.where(primary, bits, 0).astype(np.int32))
    columns["_protects"] = pa.array(np.maximum(at, 0).astype(np.int32), mask=~found)
    if remembered is not None and remembered.content is not None:  # a group's report: see memory.previous_hidden
        kept, content = remembered.hidden, remembered.content
        columns["_kept"] = pa.array(np.zeros(len(suppressed), dtype=bool) if kept is None else kept[suppressed])
        columns["_content"] = pa.array([content] * len(suppressed), pa.string()).dictionary_encode()
    return pa.table(columns)


def _reserved_keys(dataset: str, keys: list[str]) -> None:
    clash = sorted(set(keys) & set(CELL_COLUMNS))
    if clash:
        raise ConfigError(
            f"{dataset}: key column(s) {', '.join(clash)} take a name the suppression report keeps for itself",
            hint=f"rename the column(s) in the model (reserved: {', '.join(CELL_COLUMNS)})",
        )


def _report(
    engine: Engine,
    dataset: str,
    ruleset: RuleSet,
    suppressions: pa.Table,
    keys: list[str],
    status: np.ndarray,
    by_rule: dict[str, int],
) -> dict[str, Any]:
    """The suppressed cells to the ledger in one typed write, and the step report's counts."""
    write_suppressions(engine, dataset, ruleset.name, keys, [r.id for r in checked_rules(ruleset)], suppressions)
    examples = suppression_examples(engine, dataset, REPORT_EXAMPLES)
    codes = suppressions["_status"].to_numpy() if suppressions.num_rows else np.zeros(0, dtype=np.int8)
    remembered = int(((codes == REMEMBERED_PRIMARY_CODE) | (codes == REMEMBERED_SECONDARY_CODE)).sum())
    # of the secondary cells, those the memory alone keeps hidden (the suppression report says what
    # each was); only when there are some: a first publication's report as before
    kept = {"remembered": remembered} if remembered else {}
    return {
        "ruleset": ruleset.name,
        "cells": len(status),
        "published": int((status == PUBLISHED).sum()),
        "primary": int((status == PRIMARY).sum()),
        "secondary": int((status == SECONDARY).sum()),
        **kept,
        "masked_upstream": int((status == MASKED).sum()),
        "primary_by_rule": {k: v for k, v in sorted(by_rule.items()) if v},
        "examples": examples,
        "table": report_table(dataset),
    }


def _row_by_row(
    engine: Engine, dataset: str, ruleset: RuleSet, rel: str, keys: list[str], columns: list[str], has_secret: bool
) -> GuardResult:
    """A rule set without secondary suppression decides each row on its own: all in SQL."""
    rules = checked_rules(ruleset)
    masked = masked_sql(ruleset, has_secret)
    primary = "(" + (" OR ".join(fails_sql(r) for r in rules) or "false") + ")"
    counts = engine.fetch_all(
        f"SELECT count(*), count(*) FILTER (WHERE {masked}), count(*) FILTER (WHERE NOT {masked} AND {primary})"
        + "".join(f", count(*) FILTER (WHERE NOT {masked} AND {fails_sql(r)})" for r in rules)
        + f" FROM {rel}"
    )[0]
    total, n_masked, n_primary = int(counts[0]), int(counts[1]), int(counts[2])
    bits = " + ".join(f"CASE WHEN {fails_sql(r)} THEN {1 << i} ELSE 0 END" for i, r in enumerate(rules)) or "0"
    key_sql = ", ".join(quote_ident(k) for k in keys)
    cells = (
        engine.fetch_arrow(
            f"SELECT {key_sql}, ({bits})::INTEGER AS _rules FROM {rel} WHERE NOT {masked} AND {primary} "
            f"ORDER BY {key_sql}"  # the cells numbered in key order, whatever the storage order
        )
        if n_primary
        else None
    )
    if cells is not None:
        n = cells.num_rows
        cells = pa.table(
            {
                **{k: cells[k] for k in keys},
                "_cell": pa.array(np.arange(n, dtype=np.int32)),
                "_status": pa.array(np.full(n, PRIMARY_CODE, dtype=np.int8)),
                "_rules": cells["_rules"],
                "_protects": pa.nulls(n, pa.int32()),
            }
        )
    # with no primary cell, the dataset's previous report is only cleared
    write_suppressions(engine, dataset, ruleset.name, keys, [r.id for r in rules], cells)
    examples = suppression_examples(engine, dataset, REPORT_EXAMPLES)
    secret = f"({masked} OR {primary})"
    nulls = {m: f"CASE WHEN NOT {secret} THEN {quote_ident(m)} END AS {quote_ident(m)}" for m in ruleset.measures}
    report = {
        "ruleset": ruleset.name,
        "cells": total,
        "published": total - n_masked - n_primary,
        "primary": n_primary,
        "secondary": 0,
        "masked_upstream": n_masked,
        "primary_by_rule": {r.id: int(c) for r, c in sorted(zip(rules, counts[3:], strict=True), key=_by_id) if c},
        "examples": examples,
        "table": report_table(dataset),
    }
    return GuardResult(f"SELECT {_projection(columns, nulls)}, {secret} AS secret FROM {rel}", report)


def _by_id(item: tuple[Any, Any]) -> str:
    return str(item[0].id)


class StatisticalGuard:
    """Rule sets named ``statistical.<ruleset>``."""

    def protect(
        self,
        engine: Engine,
        dataset: str,
        select_sql: str,
        rule: str,
        policies: Policies | Mapping[str, Any] | None,
        packs: Sequence[Path] | None = None,
    ) -> GuardResult:
        name = rule.split(".", 1)[1] if "." in rule else ""
        if not name:
            raise ConfigError(
                f"secrecy rule {rule!r} names no rule set; the dataset is not published",
                hint="write `secrecy: statistical.<ruleset>`, e.g. statistical.energy",
            )
        return apply_ruleset(engine, dataset, select_sql, load_ruleset(name, policies, packs), policies)
