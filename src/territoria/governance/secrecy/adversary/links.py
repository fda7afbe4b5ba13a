"""Which published tables share cells, read off the published numbers as an outsider would.

A table whose key columns are a subset of another's, with measures in common, shares cells with
it when, for one value of each missing column (``energy = electricite`` for an electricity-only
table), most of the cells both publish carry the same values.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from territoria.governance.secrecy.adversary.model import CellLink, PublishedTable

#: the re-aggregation convention (docs/secrecy.md): a sum that leaves out cells masked upstream is
#: flagged ``lower_bound``; it is not the same quantity as another table's complete cell
LOWER_BOUND = "lower_bound"
#: share of the cells both tables publish that must agree for the tables to be linked
AGREEMENT = 0.5


def _published(table: PublishedTable, measure: str, columns: list[str]) -> dict[tuple[Any, ...], Any]:
    rows = table.rows.select([*columns, measure, *(["secret"] if "secret" in table.rows.column_names else [])])
    return {
        tuple(r[c] for c in columns): r[measure]
        for r in rows.to_pylist()
        if r[measure] is not None and not r.get("secret")
    }


def _private(table: PublishedTable) -> str | None:
    return LOWER_BOUND if LOWER_BOUND in table.rows.column_names else None


def link(base: PublishedTable, other: PublishedTable) -> CellLink | None:
    """How ``other``'s cells map onto ``base``'s, or None when they share none."""
    shared_cols = other.key_columns
    extra = [c for c in base.key_columns if c not in shared_cols]
    measures = [m for m in base.measures if m in other.measures]
    if not measures or not set(shared_cols) <= set(base.key_columns) or base.name == other.name:
        return None
    theirs = _published(other, measures[0], shared_cols)
    ours = _published(base, measures[0], [*extra, *shared_cols])
    comparable: Counter[tuple[Any, ...]] = Counter()
    agree: Counter[tuple[Any, ...]] = Counter()
    for key, value in ours.items():
        at, cell = key[: len(extra)], key[len(extra) :]
        if cell in theirs:
            comparable[at] += 1
            agree[at] += abs(theirs[cell] - value) <= 1e-9 * max(1.0, abs(value))
    if not agree:
        return None
    best, hits = agree.most_common(1)[0]
    if not hits or hits < AGREEMENT * comparable[best]:
        return None
    return CellLink(
        columns={c: c for c in shared_cols}, constants=dict(zip(extra, best, strict=True)), private_when=_private(other)
    )


def linked(base: PublishedTable, others: list[PublishedTable]) -> list[PublishedTable]:
    """``base`` and every table sharing cells with it, each with its link set (empty: none)."""
    found = []
    for other in others:
        cells = link(base, other)
        if cells is not None:
            found.append(dataclasses.replace(other, link=cells))
    if not found:
        return []
    return [dataclasses.replace(base, link=CellLink(private_when=_private(base))), *found]
