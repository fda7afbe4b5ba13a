"""Bounds of every suppressed cell by linear programming, one connected component at a time.

The unknowns (suppressed cells) are linked by the equations they appear in; the components of
that graph are independent programs. In a component, a published cell with an exact value is a
constant (moved to the right-hand side) and a rounded one a variable bounded by its rounding
interval. Dropping the equations that hold only published cells, and letting a rounded cell
shared by two components vary separately in each, can only widen the intervals: the audit never
claims a disclosure an outsider could not make.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from territoria.governance.secrecy.adversary.equations import System
from territoria.governance.secrecy.lp import Program


@dataclass
class Bounds:
    low: dict[int, float]
    high: dict[int, float]
    components: int = 0
    programs: int = 0
    #: cells whose interval is the range of feasible points met (a sub-interval of the exact one)
    partial: set[int] = field(default_factory=set)


class _Sets:
    """Union-find over variable ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(system: System, measure: str) -> list[list[tuple[int, list[int]]]]:
    """The equations of ``measure`` that hold an unknown, grouped by connected component."""
    sets = _Sets()
    unknown_lines = []
    for parent, kids in system.equations.get(measure, []):
        cells = [parent, *kids]
        unknowns = [c for c in cells if not system.variables[c].known]
        if not unknowns:
            continue
        for u in unknowns[1:]:
            sets.union(unknowns[0], u)
        sets.find(unknowns[0])
        unknown_lines.append((unknowns[0], parent, kids))
    groups: dict[int, list[tuple[int, list[int]]]] = {}
    for anchor, parent, kids in unknown_lines:
        groups.setdefault(sets.find(anchor), []).append((parent, kids))
    return list(groups.values())


Equations = tuple[list[int], csr_matrix, np.ndarray, np.ndarray]


def _program(system: System, lines: list[tuple[int, list[int]]]) -> Equations:
    """Columns (variable ids), the equality matrix, its right-hand side and the column bounds."""
    columns: dict[int, int] = {}
    rows, cols, coefs = [], [], []
    rhs = np.zeros(len(lines))
    for r, (parent, kids) in enumerate(lines):
        for var, coef in ((parent, 1.0), *((k, -1.0) for k in kids)):
            v = system.variables[var]
            if v.known and v.step == 0:
                rhs[r] -= coef * float(v.low or 0.0)
                continue
            rows.append(r)
            cols.append(columns.setdefault(var, len(columns)))
            coefs.append(coef)
    order = list(columns)
    bounds = np.empty((len(order), 2))
    for j, var in enumerate(order):
        v = system.variables[var]
        floor = 0.0 if v.nonnegative else -np.inf
        bounds[j] = (max(floor, v.low), v.high) if v.known else (floor, np.inf)  # type: ignore[type-var]
    matrix = csr_matrix((coefs, (rows, cols)), shape=(len(lines), len(order)))
    return order, matrix, rhs, bounds


class _Witnesses:
    """The lowest and highest value of each column over the feasible points met so far: a side of
    a cell's protection range the points already reach needs no program of its own."""

    def __init__(self, size: int) -> None:
        self.low = np.full(size, np.inf)
        self.high = np.full(size, -np.inf)

    def add(self, point: np.ndarray | None) -> None:
        if point is not None:
            np.minimum(self.low, point, out=self.low)
            np.maximum(self.high, point, out=self.high)

    def reach(self, j: int, value: float | None, protection: float) -> tuple[bool, bool]:
        """Whether the points already reach ``value`` x (1 - protection), and x (1 + protection)."""
        if value is None or value <= 0:
            return False, False
        return bool(self.low[j] <= value * (1 - protection)), bool(self.high[j] >= value * (1 + protection))


def _component(system: System, lines: list[tuple[int, list[int]]], targets: set[int], exact: bool, out: Bounds) -> None:
    order, matrix, rhs, bounds = _program(system, lines)
    wanted = [j for j, var in enumerate(order) if var in targets and not system.variables[var].known]
    if not wanted:
        return
    out.components += 1
    program = Program(matrix, rhs, bounds[:, 0], bounds[:, 1])

    def optimum(c: np.ndarray) -> tuple[float | None, np.ndarray | None]:
        """min c.x and a point reaching it; -inf when unbounded, None when infeasible."""
        status, value, point = program.minimize(c)
        return (value if status != "infeasible" else None), point

    seen = _Witnesses(len(order))
    if not exact:  # two cheap programs (all unknowns low, all high) spread most cells at once
        spread = np.zeros(len(order))
        spread[wanted] = 1.0
        for sign in (1.0, -1.0):
            seen.add(optimum(sign * spread)[1])
            out.programs += 1
    for j in wanted:
        var = order[j]
        v = system.variables[var]
        low_ok, high_ok = seen.reach(j, v.truth, v.protection) if not exact else (False, False)
        if low_ok or high_ok:
            out.partial.add(var)  # a side the points already reach: that bound is the points' own
        c = np.zeros(len(order))
        c[j] = 1.0
        low, at_low = (float(seen.low[j]), None) if low_ok else optimum(c)
        high, at_high = (-float(seen.high[j]), None) if high_ok else optimum(-c)
        out.programs += (not low_ok) + (not high_ok)
        seen.add(at_low)
        seen.add(at_high)
        if low is None or high is None:
            continue  # the published numbers contradict each other: no claim on this cell
        out.low[var], out.high[var] = low, -high


def solve(system: System, targets: set[int], exact: bool = False) -> Bounds:
    """Min and max of every target unknown, over each measure's components.

    Unless ``exact``, a side of a cell's protection range already reached by feasible points found
    for other cells (its true value is known) takes those points' bound, inside its exact interval
    (the cell is listed in ``partial``): its verdict is the exact one, or stricter."""
    out = Bounds({}, {})
    for measure in list(system.equations):
        for lines in components(system, measure):
            _component(system, lines, targets, exact, out)
    return out
