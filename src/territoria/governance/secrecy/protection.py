"""Protection ranges: no suppressed cell may be pinned closer than ±protection of its value.

Balanced patterns (``secondary.py``) make every suppressed cell underivable, but an outsider can
still bound it by linear programming over the published margins (``adversary/``). After the
pattern (and the joint decisions) is chosen, this loop plays that outsider over the equations of
every table of the group at once (a cell two tables publish is one unknown), one connected
component of the suppressed cells at a time, and requires each suppressed non-empty cell's
interval to reach its protection range on one side at least (value x (1 ± ``protection``),
default 10 %), and to be wider than the published precision (``rounding:``; a primary cell with
value 0 must not be computable): the audit's verdicts exposed and disclosed, with the audit's
program (published values exact, or intervals of their rounding). A cell pinned gets a
complement: the cheapest published cell of an equation it is in (one large enough to move it by
its range when there is one); the complements are forced into the balanced patterns, and only
the components whose unknowns changed are solved again. At the cap of rounds the publication
fails, naming the cells still exposed (keys only: the error may be read by non-admins).

Speed: the decisions are computed once per content of the group (``joint.GROUP_PLANS``), not in
each member's publish step; a component keeps one HiGHS model warm across its programs (``lp.py``);
two programs per component (all candidate cells high, then low) and their repeats on what is left
spread most cells at once, so only cells these points do not already clear get programs of their
own (max, then min only if needed: one side is enough).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import bmat, csc_matrix, csr_matrix, hstack
from scipy.sparse.csgraph import connected_components

from territoria.core.errors import DataError
from territoria.governance.secrecy.joint import Link, Member
from territoria.governance.secrecy.lp import Program
from territoria.governance.secrecy.secondary import PRIMARY, PUBLISHED, SECONDARY, Decision
from territoria.governance.secrecy.tree import CellIndex, encode_dimension, encode_partition

Array = np.ndarray
DEFAULT_PROTECTION = 0.10
MAX_ROUNDS = 16
#: how far (in equations) a complement is looked for when every cell near the exposed one is suppressed
NEIGHBOURHOOD = 3
SPREADS = 3  # aggregate low/high programs per component before cell-by-cell programs
EXAMPLES = 5
#: relative slack on the range tests, on the safe side (floating-point noise of the solver)
TOLERANCE = 1e-7
#: a primary cell whose value is 0 must not be computable: it must be able to reach this
EMPTY_PRIMARY = 1e-6


@dataclass
class Group:
    """The equations of every member, over variables shared between members."""

    var: list[Array]  # per member: variable of each row (-1: masked upstream, in no equation)
    equations: csr_matrix  # equations x variables: +1 margin, -1 children
    values: Array  # measures x variables (true values)
    step: Array  # measures x variables: the published precision (rounding step, 0: exact)
    cost: Array
    primary: Array
    protection: Array
    owner: Array  # variables x 2: a (member, row) of each variable, for messages

    @property
    def size(self) -> int:
        return len(self.cost)


def _member_equations(member: Member) -> tuple[Array, Array, Array, Array]:
    """(equation, row, coefficient) entries of a member's margin lines, and each row's cell key."""
    secondary = member.ruleset.secondary
    assert secondary is not None
    trees = [encode_dimension(member.flags, d) for d in secondary.dimensions]
    index = CellIndex.build(trees, encode_partition(member.flags, secondary.partition), ~member.masked)
    eqs, rows, coefs = [], [], []
    next_eq = 0
    for d, tree in enumerate(trees):
        parent_node = tree.parent[tree.nodes]
        child = np.flatnonzero((parent_node >= 0) & ~member.masked)
        if not len(child):
            continue
        shift = (parent_node[child] - tree.nodes[child]) * index.strides[d]
        margin = index.lookup(index.keys[child] + shift)
        child, margin = child[margin >= 0], margin[margin >= 0]
        lines, eq = np.unique(margin, return_inverse=True)
        eqs += [next_eq + np.arange(len(lines)), next_eq + eq]
        rows += [lines, child]
        coefs += [np.ones(len(lines)), -np.ones(len(child))]
        next_eq += len(lines)
    if not eqs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), index.keys
    return np.concatenate(eqs), np.concatenate(rows), np.concatenate(coefs), index.keys


def build_group(members: list[Member], links: list[Link]) -> Group:
    """Variables (cells, in key order within each member; a linked cell is its first member's)."""
    entries, keys, var = [], [], []
    offset = 0
    for m in members:
        eq, row, coef, cell_keys = _member_equations(m)
        entries.append((eq, row, coef))
        rank = np.empty(len(cell_keys), dtype=np.int64)
        rank[np.argsort(cell_keys, kind="stable")] = np.arange(len(cell_keys))
        var.append(offset + rank)
        keys.append(cell_keys)
        offset += len(cell_keys)
    for link in links:  # the other member's copy of a shared cell is the same unknown
        same = ~link.bound
        var[link.b][link.rows_b[same]] = var[link.a][link.rows_a[same]]
    used, compact = np.unique(np.concatenate(var), return_inverse=True)
    var = np.split(compact, np.cumsum([len(v) for v in var])[:-1])
    n = len(used)
    measures = max(len(m.ruleset.measures) for m in members)
    values, cost = np.zeros((measures, n)), np.full(n, np.inf)
    step = np.zeros((measures, n))
    primary, protection = np.zeros(n, dtype=bool), np.full(n, DEFAULT_PROTECTION)
    owner = np.zeros((n, 2), dtype=np.int64)
    eq_parts, var_parts, coef_parts = [], [], []
    eq_offset = 0
    for i, (m, (eq, row, coef)) in enumerate(reversed(list(zip(members, entries, strict=True)))):
        i = len(members) - 1 - i  # first member last: its values and owners win
        v = var[i]
        for k in range(len(m.ruleset.measures)):
            values[k, v] = np.nan_to_num(m.flags[f"_v{k}"].to_numpy(zero_copy_only=False).astype(float))
            np.maximum.at(step[k], v, m.ruleset.rounding.get(m.ruleset.measures[k], 0.0))
        np.minimum.at(cost, v, m.cost)
        np.logical_or.at(primary, v, m.primary)
        protection[v] = m.ruleset.protection or DEFAULT_PROTECTION
        owner[v] = np.column_stack([np.full(len(v), i), np.arange(len(v))])
        eq_parts.append(eq + eq_offset)
        var_parts.append(v[row])
        coef_parts.append(coef)
        eq_offset += int(eq.max(initial=-1)) + 1
        v[m.masked] = -1
    matrix = csr_matrix(
        (np.concatenate(coef_parts), (np.concatenate(eq_parts), np.concatenate(var_parts))), shape=(eq_offset, n)
    )
    return Group(var, matrix, values, step, cost, primary, protection, owner)


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


def _narrow(program: Program, truth: Array, needs: Needs, out: Outcome) -> Array:
    """Columns an outsider pins inside their protection range (both sides) or to the published
    precision. Feasible points met on the way widen every column's known range; a column gets
    programs of its own (max, then min) only while those points do not clear it. (The truth is
    not taken as a point: two tables may publish one cell with different roundings.)"""
    low, high = np.full(len(truth), np.inf), np.full(len(truth), -np.inf)

    def seen(point: Array | None) -> None:
        if point is not None:
            np.minimum(low, point, out=low)
            np.maximum(high, point, out=high)

    for _ in range(SPREADS):
        todo = needs.short(low, high)
        if not len(todo):
            return todo
        weight = np.zeros(len(truth))
        weight[todo] = 1.0 / np.maximum(np.abs(truth[todo]), 1.0)
        before = len(todo)
        seen(program.minimize(-weight)[2])
        seen(program.minimize(weight)[2])
        out.programs += 2
        if len(needs.short(low, high)) == before:
            break
    narrow = []
    for j in needs.short(low, high):
        for sign in (-1.0, 1.0):
            c = np.zeros(len(truth))
            c[j] = sign
            status, _, point = program.minimize(c)
            out.programs += 1
            if status == "unbounded":  # unbounded above
                high[j] = np.inf
            seen(point)
            if not len(needs.take(np.array([j])).short(low[j : j + 1], high[j : j + 1])):
                break
        else:
            narrow.append(j)
    return np.asarray(narrow, dtype=np.int64)


def _groups(label: Array) -> dict[int, Array]:
    """Positions of each label (sorted positions within a label)."""
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return {int(label[part[0]]): part for part in np.split(order, cuts) if len(part)}


def exposed_cells(group: Group, hidden: Array, out: Outcome) -> list[int]:
    """Hidden variables an outsider pins inside their protection range, for some measure.

    The outsider's program is the audit's (``adversary/solve.py``): a published value is exact
    when the table publishes exact values, else a variable within its rounding interval; each
    component of the hidden cells is solved on its own (a rounded cell in two components varies
    separately in each, as in the audit)."""
    unknown = np.flatnonzero(hidden)
    found: set[int] = set()
    for k in range(group.values.shape[0]):
        value, step = group.values[k], group.step[k]
        needs = Needs.of(value, group.protection, group.primary, step)
        exact = np.flatnonzero(~hidden & (step == 0))
        rounded = np.flatnonzero(~hidden & (step > 0))
        rhs_all = -(group.equations[:, exact] @ value[exact])
        sub = group.equations[:, unknown].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub, rhs_all = sub[rows], rhs_all[rows]
        near = group.equations[rows][:, rounded].tocsr()
        graph = bmat([[None, sub], [sub.T, None]]).tocsr()
        _, label = connected_components(graph, directed=False)
        row_groups, col_groups = _groups(label[: len(rows)]), _groups(label[len(rows) :])
        for comp, cols in col_groups.items():
            if not needs.wanted[unknown[cols]].any():
                continue
            tag = np.int64(k).tobytes() + unknown[cols].tobytes()
            if tag not in out.cache:
                eq = row_groups.get(comp)
                if eq is None:  # in no equation: nothing bounds it above
                    out.cache[tag] = []
                    continue
                out.components += 1
                around = near[eq]
                used = np.flatnonzero(np.diff(around.tocsc().indptr) > 0)
                cells = np.concatenate([unknown[cols], rounded[used]])
                matrix = hstack([sub[eq][:, cols], around[:, used]]).tocsr()
                half = step[cells] / 2
                known = np.r_[np.zeros(len(cols), dtype=bool), np.ones(len(used), dtype=bool)]
                lower = np.where(known, np.maximum(value[cells] - half, 0.0), 0.0)
                upper = np.where(known, value[cells] + half, np.inf)
                wanted = needs.take(cells)
                wanted.wanted &= ~known
                narrow = _narrow(Program(matrix, rhs_all[eq], lower, upper), value[cells], wanted, out)
                out.cache[tag] = [int(x) for x in cells[narrow]]
            found.update(out.cache[tag])
    return sorted(found)


def complements(group: Group, hidden: Array, exposed: list[int], again: set[int] | None = None) -> Array:
    """For each exposed variable, the cheapest published cell of an equation it is in, preferring
    one whose value could move it across its range; for a variable already given one in an
    earlier round (``again``), the best of each of its equations (it needs more room than one
    complement gave)."""
    by_var = csc_matrix(group.equations)
    rows_of = group.equations.tocsr()
    chosen: set[int] = set()

    def best(v: int, cands: Array) -> int | None:
        cands = cands[~hidden[cands]]
        if not len(cands):
            return None
        big = group.values[0, cands] >= group.protection[v] * abs(group.values[0, v])
        pool = cands[big] if big.any() else cands
        return int(pool[np.lexsort((pool, group.cost[pool]))[0]])

    def lines_of(cells: Array) -> list[Array]:
        eqs = np.unique(np.concatenate([by_var.indices[by_var.indptr[c] : by_var.indptr[c + 1]] for c in cells]))
        return [rows_of.indices[rows_of.indptr[e] : rows_of.indptr[e + 1]] for e in eqs]

    for v in exposed:
        reach = np.array([v])
        # the equations of the cell, else (every cell in them suppressed) those of its neighbours
        for _ in range(NEIGHBOURHOOD):
            lines = lines_of(reach)
            if not lines:
                break
            if again and v in again:
                picks = [best(v, line) for line in lines]
            else:
                picks = [best(v, np.unique(np.concatenate(lines)))]
            if any(p is not None for p in picks):
                chosen.update(p for p in picks if p is not None)
                break
            reach = np.unique(np.concatenate(lines))
    return np.asarray(sorted(chosen), dtype=np.int64)


def _describe(members: list[Member], group: Group, v: int) -> str:
    i, row = (int(x) for x in group.owner[v])
    m = members[i]
    secondary = m.ruleset.secondary
    cols = [
        *(secondary.partition if secondary else []),
        *(d.column for d in (secondary.dimensions if secondary else [])),
    ]
    key = ", ".join(f"{c}={m.flags[c][row].as_py()}" for c in cols)
    return f"{m.dataset} ({key})"


def protection_loop(
    members: list[Member], links: list[Link], decide: Callable[[list[Array]], list[Decision]]
) -> tuple[list[Decision], dict[str, Any]]:
    """Decisions in which no suppressed cell is narrower than its protection range (``decide``
    takes the extra forced cells of each member); a DataError when the cap of rounds is reached."""
    started = time.perf_counter()
    group = build_group(members, links)
    extra = [np.zeros(m.flags.num_rows, dtype=bool) for m in members]
    decisions = decide(extra)
    out = Outcome()
    seen: set[int] = set()  # cells given a complement in an earlier round
    while True:
        # unknown to an outsider: suppressed, and published by no member of the group
        hidden, shown = np.zeros(group.size, dtype=bool), np.zeros(group.size, dtype=bool)
        for v, d in zip(group.var, decisions, strict=True):
            hidden[v[((d.status == PRIMARY) | (d.status == SECONDARY)) & (v >= 0)]] = True
            shown[v[(d.status == PUBLISHED) & (v >= 0)]] = True
        hidden &= ~shown
        exposed = exposed_cells(group, hidden, out)
        if not exposed:
            break
        added = complements(group, hidden, exposed, seen) if out.rounds < MAX_ROUNDS else np.zeros(0, np.int64)
        seen.update(exposed)
        if not len(added):
            examples = "; ".join(_describe(members, group, v) for v in exposed[:EXAMPLES])
            raise DataError(
                f"secrecy: {len(exposed)} suppressed cell(s) can be bounded within their protection range "
                f"after {out.rounds} round(s) of complementary suppression, e.g. {examples}",
                hint="publish coarser breakdowns, lower `protection:` in the rule set, or check the "
                "cells with `territoria secrecy audit`; the previous publication is kept",
            )
        out.rounds += 1
        out.added += len(added)
        for i, v in enumerate(group.var):
            extra[i] |= np.isin(v, added) & (decisions[i].status == PUBLISHED)
        decisions = decide(extra)
    report = {
        "rounds": out.rounds,
        "added": out.added,
        "components": out.components,
        "programs": out.programs,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return decisions, report
