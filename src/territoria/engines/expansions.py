"""DuckDB constructs other engines lack and that need the catalog to spell out: ``* EXCLUDE`` /
``* REPLACE`` and lateral column aliases. The engine hands in ``columns_of`` (the columns of a
relation written in DuckDB SQL); what a subquery's SELECT list names is read from the statement
itself, so that only tables (and CTEs) cost a catalog lookup.

A statement's tree parsed here for ``_lateral_selects`` is handed to the translation of the same
text that follows (``take_parsed``): each statement is parsed once, not twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

SOURCE = "duckdb"
STAR_MODIFIERS = re.compile(r"\*\s*(EXCLUDE|REPLACE)\b", re.IGNORECASE)
#: at most this many parsed trees wait for their translation (a caller may never translate)
PARSED_MAX = 64
_parsed: dict[str, exp.Expr] = {}


def take_parsed(sql: str) -> exp.Expr | None:
    """The tree ``_lateral_selects`` parsed from ``sql`` (DuckDB dialect), once: the caller owns it."""
    return _parsed.pop(sql, None)


def expand_star_excludes(sql: str, columns_of: Callable[[str], list[str]]) -> str:
    """DuckDB's ``SELECT * EXCLUDE (a) REPLACE (f(b) AS b)`` with the columns spelled out
    (``columns_of`` names the columns of a FROM clause, in DuckDB SQL), for engines without it.
    Unchanged without EXCLUDE or REPLACE."""
    if not STAR_MODIFIERS.search(sql):
        return sql
    tree = sqlglot.parse_one(sql, read=SOURCE)
    for star in list(tree.find_all(exp.Star)):
        excluded, replaced = star.args.get("except_"), star.args.get("replace")
        # `w.* REPLACE (...)`: a star qualified by a source of the FROM clause or a join
        item = star.parent if isinstance(star.parent, exp.Column) and star.parent.table else star
        select = item.parent
        if not (excluded or replaced) or not isinstance(select, exp.Select):
            continue
        source = _star_source(select, item.table if isinstance(item, exp.Column) else None)
        if source is None:
            continue
        drop = {c.name for c in excluded or []}
        swap = {r.alias: r for r in replaced or []}
        listed = _source_list(tree, source, columns_of)
        qualifier = item.table if isinstance(item, exp.Column) else None
        kept = [
            swap[c].copy() if c in swap else exp.column(c, table=qualifier, quoted=True)
            for c in listed
            if c not in drop
        ]
        position = select.expressions.index(item)
        select.set("expressions", [*select.expressions[:position], *kept, *select.expressions[position + 1 :]])
    return tree.sql(SOURCE, copy=False)


def _star_source(select: exp.Select, qualifier: str | None) -> exp.From | None:
    """The FROM (or joined) relation a star stands for: the only one, or the one named ``qualifier``."""
    joins = select.args.get("joins") or []
    if qualifier is None:
        return None if joins else select.args.get("from_")
    for node in [select.args.get("from_"), *joins]:
        if node is not None and node.this.alias_or_name == qualifier:
            return exp.From(this=node.this.copy())
    return None


def _source_list(tree: exp.Expr, source: exp.From, columns_of: Callable[[str], list[str]]) -> list[str]:
    """The columns of a FROM clause; a CTE of the statement is described with its WITH clause."""
    target = source.this
    with_ = tree.args.get("with_")
    ctes = {cte.alias for cte in with_.expressions} if with_ is not None else set()
    named = _relation_names(target, ctes, columns_of)
    if named is not None:
        return named
    relation = target.sql(SOURCE)
    if isinstance(target, exp.Table) and not target.args.get("db") and target.name in ctes:
        relation = f"({with_.sql(SOURCE)} SELECT * FROM {exp.to_identifier(target.name, quoted=True).sql(SOURCE)})"  # type: ignore[union-attr]
    return columns_of(relation)


def _relation_names(target: exp.Expr, ctes: set[str], columns_of: Callable[[str], list[str]]) -> list[str] | None:
    """The columns of a subquery read from its SELECT list, a table's from the catalog; ``None``
    where only the engine can tell (a CTE, a join under a star, an unnamed expression)."""
    if isinstance(target, exp.Table):
        if not isinstance(target.this, exp.Identifier) or (not target.args.get("db") and target.name in ctes):
            return None  # a table function, or a CTE: described with its WITH clause
        return columns_of(target.sql(SOURCE))
    if not isinstance(target, exp.Subquery) or not isinstance(target.this, exp.Select):
        return None
    select = target.this
    if select.args.get("with_"):
        return None
    names: list[str] = []
    for item in select.expressions:
        if isinstance(item, exp.Star):
            source = select.args.get("from_")
            if any(item.args.get(k) for k in ("except_", "replace", "rename")) or source is None:
                return None
            if select.args.get("joins"):
                return None
            inner = _relation_names(source.this, ctes, columns_of)
            if inner is None:
                return None
            names += inner
        elif isinstance(item, exp.Alias):
            names.append(item.alias)
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Identifier):
            names.append(item.name)
        else:
            return None
    return names


@lru_cache(maxsize=4096)
def _lateral_selects(sql: str) -> bool:
    """Whether a SELECT list of ``sql`` names an alias made earlier in the same list (DuckDB's
    lateral column aliases); parsed once per statement text."""
    try:
        tree = sqlglot.parse_one(sql, read=SOURCE)
    except ParseError:
        return False
    lateral = any(_lateral_refs(select) for select in tree.find_all(exp.Select))
    # `?::` is read apart by the translation (see dialect._translate): its tree would differ
    if not lateral and ";" not in sql and "?::" not in sql:
        if len(_parsed) >= PARSED_MAX:
            _parsed.clear()
        _parsed[sql] = tree
    return lateral


def _lateral_refs(select: exp.Select) -> list[exp.Column]:
    seen: set[str] = set()
    refs: list[exp.Column] = []
    for item in select.expressions:
        refs += [c for c in item.find_all(exp.Column) if not c.table and c.name in seen]
        if isinstance(item, exp.Alias):
            seen.add(item.alias)
    return refs


def expand_lateral_aliases(sql: str, columns_of: Callable[[str], list[str]]) -> str:
    """DuckDB's ``SELECT f(x) AS a, g(a) AS b`` as ``SELECT f(x) AS a, g(f(x)) AS b`` for engines
    without lateral aliases; a column of the FROM clause with the alias's name wins, as in DuckDB."""
    if not _lateral_selects(sql):
        return sql
    tree = sqlglot.parse_one(sql, read=SOURCE)
    for select in list(tree.find_all(exp.Select)):
        refs = _lateral_refs(select)
        if not refs:
            continue
        source = select.args.get("from_")
        if _nest_lateral(select, columns_of):
            continue
        own = (
            set(_source_list(tree, source, columns_of))
            if source is not None and not select.args.get("joins")
            else set()
        )
        defined: dict[str, exp.Expr] = {}
        for item in select.expressions:
            for col in list(item.find_all(exp.Column)):
                if not col.table and col.name in defined and col.name not in own:
                    col.replace(exp.Paren(this=defined[col.name].copy()))
            if isinstance(item, exp.Alias):
                defined[item.alias] = item.this
    return tree.sql(SOURCE, copy=False)


def _nest_lateral(select: exp.Select, columns_of: Callable[[str], list[str]]) -> bool:
    """Lateral aliases as nested subqueries, one per level of reference (inlining them instead
    grows a chain of aliases exponentially). Only for a plain select: one FROM, no join, no
    grouping, no star, unqualified columns; returns whether it was done."""
    source = select.args.get("from_")
    if (
        source is None
        or any(select.args.get(k) for k in ("joins", "group", "having", "distinct", "qualify", "windows"))
        or any(isinstance(i, exp.Star) or i.find(exp.Star, exp.AggFunc, exp.Window) for i in select.expressions)
        or any(c.table for c in select.find_all(exp.Column))
    ):
        return False
    own = set(_source_list(select.root(), source, columns_of))
    aliases = {i.alias for i in select.expressions if isinstance(i, exp.Alias)}
    if own & aliases:
        return False
    level: dict[str, int] = {}
    referenced: set[str] = set()
    for item in select.expressions:
        used = {c.name for c in item.find_all(exp.Column) if c.name in level}
        referenced |= used
        if isinstance(item, exp.Alias):
            level[item.alias] = 1 + max((level[u] for u in used), default=-1)
    current: exp.Expr = source.this.copy()
    for depth in range(max(level[a] for a in referenced) + 1):
        moved = [
            i.copy()
            for i in select.expressions
            if isinstance(i, exp.Alias) and i.alias in referenced and level[i.alias] == depth
        ]
        inner = exp.select(exp.Star(), *moved).from_(current)
        current = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(f"_lateral{depth}")))
    select.set(
        "expressions",
        [
            exp.column(i.alias, quoted=True) if isinstance(i, exp.Alias) and i.alias in referenced else i
            for i in select.expressions
        ],
    )
    select.set("from_", exp.From(this=current))
    return True
