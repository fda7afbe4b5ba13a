"""Exact recovery by linear algebra: which suppressed cells the published margins determine.

The interval audit (``solve``) bounds each cell by linear programming; this is the sharper and
cheaper question the property tests ask of small tables and the audit across publications asks of
two reports: is a suppressed cell a linear combination of what was published? Each margin line
(a parent equals the sum of its children, along each dimension) gives an equation whose unknowns
are its suppressed cells; a cell is determined when every vector of the null space of those
equations is zero on it (adding its unit vector does not raise the rank).

Several publications of one table (an outsider keeps each): a cell unchanged between them is one
unknown in all (the same value), and a cell one publication hides and another shows unchanged is
known, so determined; ``changed`` cells are another unknown in each publication.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

Key = tuple[Hashable, ...]
#: for each dimension of a key, each value's parent (None: a top value, in no sum as a child)
Parents = Sequence[Mapping[Hashable, Hashable | None]]
_TOL = 1e-9


def margin_lines(keys: Sequence[Key], parents: Parents) -> list[tuple[int, list[int]]]:
    """The equations ``parent - sum(children) = 0`` over ``keys`` (positions), one per parent cell
    present with at least one child present, along each dimension."""
    col = {k: i for i, k in enumerate(keys)}
    lines: dict[tuple[int, Key], list[int]] = {}
    for k in keys:
        for d, par in enumerate(parents):
            p = par.get(k[d])
            if p is not None:
                lines.setdefault((d, (*k[:d], p, *k[d + 1 :])), []).append(col[k])
    return [(col[parent], kids) for (_, parent), kids in lines.items() if parent in col]


def recovered(
    keys: Sequence[Key], parents: Parents, hidden: Sequence[Collection[Key]], changed: Collection[Key] = ()
) -> list[set[Key]]:
    """For each publication (``hidden[p]``: the cells it suppressed), its suppressed cells that all
    the publications together determine. ``keys`` are the table's cells (a cell masked upstream,
    never computed, is left out: it is in no equation); ``changed``: the cells whose value differs
    between the publications (each publication's own unknown)."""
    lines = margin_lines(keys, parents)
    hidden_sets = [set(h) for h in hidden]
    changed = set(changed)
    shown_somewhere = {k for k in keys if any(k not in h for h in hidden_sets)}
    out: list[set[Key]] = [set() for _ in hidden_sets]
    unknown: dict[Hashable, int] = {}
    for p, h in enumerate(hidden_sets):
        for k in sorted(h, key=repr):
            if k in changed:
                unknown.setdefault((p, k), len(unknown))
            elif k in shown_somewhere:
                out[p].add(k)  # another publication shows the same value
            else:
                unknown.setdefault(k, len(unknown))
    variable = {
        (p, k): unknown[(p, k) if k in changed else k]
        for p, h in enumerate(hidden_sets)
        for k in h
        if k in changed or k not in shown_somewhere
    }
    rows: list[dict[int, float]] = []
    for p in range(len(hidden_sets)):
        for parent, kids in lines:
            row: dict[int, float] = {}
            for i, sign in ((parent, 1.0), *((kid, -1.0) for kid in kids)):
                at = variable.get((p, keys[i]))
                if at is not None:
                    row[at] = row.get(at, 0.0) + sign
            if row:
                rows.append(row)
    solved = _solved(rows, len(unknown))
    for (p, k), at in variable.items():
        if solved[at]:
            out[p].add(k)
    return out


def _solved(rows: list[dict[int, float]], n: int) -> np.ndarray:
    """Which of ``n`` unknowns the equations ``rows`` (unknown -> coefficient) fix, one connected
    component of the unknowns at a time (a table's years, its unlinked parts: a dense null space of
    the whole table would not fit in memory)."""
    fixed = np.zeros(n, dtype=bool)
    if not rows or not n:
        return fixed
    heads = np.concatenate([np.full(len(r) - 1, next(iter(r))) for r in rows])
    tails = np.concatenate([np.fromiter(list(r)[1:], dtype=np.int64, count=len(r) - 1) for r in rows])
    graph = coo_matrix((np.ones(len(heads)), (heads, tails)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    by_component: dict[int, list[dict[int, float]]] = {}
    for r in rows:
        by_component.setdefault(int(component[next(iter(r))]), []).append(r)
    for c, eqs in by_component.items():
        cols = np.flatnonzero(component == c)
        at = {int(j): i for i, j in enumerate(cols)}
        matrix = np.zeros((len(eqs), len(cols)))
        for i, r in enumerate(eqs):
            for j, coef in r.items():
                matrix[i, at[j]] = coef
        fixed[cols] = _determined(matrix, len(cols))
    return fixed


def _determined(matrix: np.ndarray, n: int) -> np.ndarray:
    """Which unknowns the equations ``matrix @ x = constants`` fix: unknown j is fixed when every
    vector of the null space is zero on it."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    if not len(matrix):
        return np.zeros(n, dtype=bool)
    _, sing, vt = np.linalg.svd(matrix)
    rank = int((sing > _TOL * max(1.0, float(sing.max(initial=0)))).sum())
    null = vt[rank:]
    if not len(null):
        return np.ones(n, dtype=bool)
    fixed: np.ndarray = np.abs(null).max(axis=0) < _TOL
    return fixed


__all__ = ["Key", "Parents", "margin_lines", "recovered"]
