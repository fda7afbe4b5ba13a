"""Which suppressed cells an outsider pins inside their protection range: the protection loop's
check (``protection.py``), one connected component of the suppressed cells at a time.

The outsider's program is the audit's (``adversary/solve.py``): a published value is exact when
the table publishes exact values, else a variable within its rounding interval. The check only
has to *clear* cells (show a feasible point beyond the range on one side, and two points further
apart than the published precision); anything it cannot clear is reported exposed. Two
restrictions make it fast and never let it clear a cell the audit would pin, since a point of a
smaller feasible set is a point of the audit's:

- the rounded published cells of a component are fixed at one feasible point of the audit's
  program (one program): the remaining program has the suppressed cells as its only columns,
  a quarter of the columns on the demo;
- the aggregate programs that spread many cells at once (all candidates low, all high, then
  random signs, while they clear enough) run with every cell capped (at twice its value or the
  component's largest value): a suppressed total would otherwise make every "all high" program
  unbounded, with no point to learn from. Only the cells these points do not clear get programs
  of their own (max, then min only if needed: one side is enough), on the uncapped program.

A cell cleared once stays cleared as long as the suppressed set only grows (the loop forces every
earlier suppression): freeing a published cell only widens the feasible set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import bmat, csr_matrix, hstack
from scipy.sparse.csgraph import connected_components

from territoria.governance.secrecy.lp import Program

Array = np.ndarray
#: relative slack on the range tests, on the safe side (floating-point noise of the solver)
TOLERANCE = 1e-7
#: a primary cell whose value is 0 must not be computable: it must be able to reach this
EMPTY_PRIMARY = 1e-6
#: aggregate programs per component at most, and the share of the remaining candidates one of
#: them must clear for the next one to be tried
SPREADS = 24
SPREAD_GAIN = 0.05


@dataclass
class Outcome:
    rounds: int = 0
    added: int = 0
    programs: int = 0
    components: int = 0
    exposed: list[int] = field(default_factory=list)
    cache: dict[bytes, list[int]] = field(default_factory=dict)


@dataclass
class Needs:
    """What an outsider must not be able to prove about each column of a program: its interval
    must reach ``low`` or ``high`` (one side is enough: a cell bounded within its range on one
    side only is not pinned) and be wider than ``width`` (the published precision)."""

    wanted: Array
    low: Array
    high: Array
    width: Array

    @classmethod
    def of(cls, value: Array, protection: Array, primary: Array, step: Array) -> Needs:
        size = np.abs(value)
        margin = TOLERANCE * np.maximum(size, 1.0)
        empty = value == 0
        return cls(
            wanted=~empty | primary,
            low=np.where(empty, -np.inf, value - protection * size - margin),
            high=np.where(empty, EMPTY_PRIMARY, value + protection * size + margin),
            width=step + margin,
        )

    def take(self, cols: Array) -> Needs:
        return Needs(self.wanted[cols], self.low[cols], self.high[cols], self.width[cols])

    def short(self, low: Array, high: Array) -> Array:
        ok = ((low <= self.low) | (high >= self.high)) & (high - low > self.width)
        return np.flatnonzero(self.wanted & ~ok)


class _Seen:
    """The lowest and highest value of each column over the feasible points met so far."""

    def __init__(self, size: int) -> None:
        self.low, self.high = np.full(size, np.inf), np.full(size, -np.inf)

    def add(self, point: Array | None) -> None:
        if point is not None:
            np.minimum(self.low, point[: len(self.low)], out=self.low)
            np.maximum(self.high, point[: len(self.high)], out=self.high)


def _narrow(program: Program, capped: Program, truth: Array, needs: Needs, out: Outcome, seed: int) -> Array:
    """Columns of ``program`` that no feasible point shows outside their range, or wide enough."""
    n = len(truth)
    seen = _Seen(n)
    scale = 1.0 / np.maximum(np.abs(truth), 1.0)
    rng = np.random.default_rng(seed)
    todo = needs.short(seen.low, seen.high)
    for attempt in range(SPREADS):
        if not len(todo):
            return todo
        sign = np.full(len(todo), 1.0 if attempt == 0 else -1.0) if attempt < 2 else rng.choice([-1.0, 1.0], len(todo))
        weight = np.zeros(n)
        weight[todo] = sign * scale[todo]
        seen.add(capped.minimize(weight)[2])
        out.programs += 1
        left = needs.short(seen.low, seen.high)
        stalled = attempt >= 1 and len(todo) - len(left) < max(2.0, SPREAD_GAIN * len(todo))
        todo = left
        if stalled:
            break
    narrow = []
    for j in todo:
        one = needs.take(np.array([j]))
        for side in (-1.0, 1.0):
            c = np.zeros(n)
            c[j] = side
            status, _, point = program.minimize(c)
            out.programs += 1
            if status == "unbounded":  # unbounded above
                seen.high[j] = np.inf
            seen.add(point)
            if not len(one.short(seen.low[j : j + 1], seen.high[j : j + 1])):
                break
        else:
            narrow.append(j)
    return np.asarray(narrow, dtype=np.int64)


def _groups(label: Array) -> dict[int, Array]:
    """Positions of each label (sorted positions within a label)."""
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return {int(label[part[0]]): part for part in np.split(order, cuts) if len(part)}


def _restricted(
    sub: csr_matrix, rhs: Array, around: csr_matrix, value: Array, half: Array, out: Outcome
) -> tuple[csr_matrix, Array, Array, Array]:
    """The component's program with its rounded published cells (``around``: their columns)
    fixed at one feasible point of the audit's program; the full program when it has no point
    (then every column is solved on it: same answers, slower)."""
    n = sub.shape[1]
    if not around.shape[1]:
        return sub, rhs, np.zeros(n), np.full(n, np.inf)
    matrix = hstack([sub, around]).tocsr()
    lower = np.r_[np.zeros(n), np.maximum(value - half, 0.0)]
    upper = np.r_[np.full(n, np.inf), value + half]
    _, _, point = Program(matrix, rhs, lower, upper).minimize(np.zeros(matrix.shape[1]))
    out.programs += 1
    if point is None:
        return matrix, rhs, lower, upper
    return sub, rhs - around @ point[n:], np.zeros(n), np.full(n, np.inf)


def exposed_cells(
    equations: csr_matrix,
    values: Array,
    step: Array,
    needs_of: list[Needs],
    hidden: Array,
    out: Outcome,
    cleared: Array,
) -> list[int]:
    """Hidden variables an outsider may pin inside their protection range, for some measure
    (``values``, ``step``: measures x variables; ``cleared``: measures x variables, cells shown
    safe by an earlier call with fewer hidden cells, updated here)."""
    unknown = np.flatnonzero(hidden)
    found: set[int] = set()
    for k in range(values.shape[0]):
        value, needs = values[k], needs_of[k]
        exact = np.flatnonzero(~hidden & (step[k] == 0))
        rounded = np.flatnonzero(~hidden & (step[k] > 0))
        rhs_all = -(equations[:, exact] @ value[exact])
        sub = equations[:, unknown].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub, rhs_all = sub[rows], rhs_all[rows]
        near = equations[rows][:, rounded].tocsr()
        graph = bmat([[None, sub], [sub.T, None]]).tocsr()
        _, label = connected_components(graph, directed=False)
        row_groups, col_groups = _groups(label[: len(rows)]), _groups(label[len(rows) :])
        for comp, cols in col_groups.items():
            cells = unknown[cols]
            todo = needs.wanted[cells] & ~cleared[k, cells]
            if not todo.any():
                continue
            tag = np.int64(k).tobytes() + cells.tobytes()
            if tag not in out.cache:
                eq = row_groups.get(comp)
                if eq is None:  # in no equation: nothing bounds it above
                    out.cache[tag] = []
                    continue
                out.components += 1
                around = near[eq]
                used = np.flatnonzero(np.diff(around.tocsc().indptr) > 0)
                fixed = rounded[used]
                matrix, rhs, lower, upper = _restricted(
                    sub[eq][:, cols], rhs_all[eq], around[:, used], value[fixed], step[k, fixed] / 2, out
                )
                wanted = needs.take(cells)
                wanted.wanted = todo
                truth = value[cells]
                if matrix.shape[1] > len(cells):  # the full program: its rounded cells are never wanted
                    extra = matrix.shape[1] - len(cells)
                    truth = np.r_[truth, value[fixed]]
                    wanted = Needs(
                        np.r_[todo, np.zeros(extra, dtype=bool)],
                        np.r_[wanted.low, np.zeros(extra)],
                        np.r_[wanted.high, np.zeros(extra)],
                        np.r_[wanted.width, np.zeros(extra)],
                    )
                cap = np.minimum(upper, np.maximum(2 * np.abs(truth) + 1.0, np.abs(truth).max()))
                program, capped = Program(matrix, rhs, lower, upper), Program(matrix, rhs, lower, cap)
                narrow = _narrow(program, capped, truth, wanted, out, seed=len(cells))
                out.cache[tag] = [int(x) for x in cells[narrow]]
            pinned = np.asarray(out.cache[tag], dtype=np.int64)
            found.update(out.cache[tag])
            safe = cells[todo]
            cleared[k, safe[~np.isin(safe, pinned)]] = True
    return sorted(found)
