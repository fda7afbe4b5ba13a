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

Every earlier suppression stays suppressed from round to round (``_keep``: it stays in its old
balanced pattern), so the suppressed set only grows: a cell shown safe once stays safe and is not
solved again, and the loop ends.

Speed: the decisions are computed once per content of the group (``joint.GROUP_PLANS``), not in
each member's publish step; the check (``exposure.py``) solves each component over its suppressed
cells only, spreads most cells with a few capped aggregate programs, and gives programs of their
own only to the cells those points do not clear, on warm-started primal simplex (``lp.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix

from territoria.core.errors import DataError
from territoria.governance.secrecy.exposure import Needs, Outcome, exposed_cells
from territoria.governance.secrecy.joint import Link, Member
from territoria.governance.secrecy.secondary import PRIMARY, PUBLISHED, SECONDARY, Decision
from territoria.governance.secrecy.tree import CellIndex, encode_dimension, encode_partition

Array = np.ndarray
DEFAULT_PROTECTION = 0.10
MAX_ROUNDS = 16
#: from this round on, a cell still exposed gets every published cell of its equations at once
#: (a few cells pinned round after round by ever larger margins would otherwise use up the cap)
ESCALATE_AFTER = 8
#: how far (in equations) a complement is looked for when every cell near the exposed one is suppressed
NEIGHBOURHOOD = 3
EXAMPLES = 5


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

    @property
    def top(self) -> Array:
        """Variables that are a child in no equation: the grand totals (the territory, every
        sector, every energy, for a year), the most-read figures of the publication."""
        child = np.zeros(self.size, dtype=bool)
        entries = self.equations.tocoo()
        child[entries.col[entries.data < 0]] = True
        top: Array = ~child
        return top


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
        same = link.same
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


def complements(
    group: Group, hidden: Array, exposed: list[int], again: set[int] | None = None, *, every: bool = False
) -> Array:
    """For each exposed variable, the cheapest published cell of an equation it is in, preferring
    one whose value could move it across its range; for a variable already given one in an
    earlier round (``again``), the best of each of its equations (it needs more room than one
    complement gave); with ``every``, every published cell of its equations."""
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
            picks: list[int | None]
            if every:
                cells = np.unique(np.concatenate(lines))
                picks = [int(c) for c in cells[~hidden[cells]]]
            elif again and v in again:
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


def _keep(old: Decision, new: Decision) -> Decision:
    """``new``, with every cell ``old`` suppressed still suppressed: the suppressed set only grows,
    so the cells a round shows safe stay safe (freeing a published cell only widens what an
    outsider must consider), and the loop ends. Each old suppression stays in its old balanced
    pattern (every cell of it is still suppressed): it needs no new one."""
    again = (old.status == SECONDARY) & (new.status == PUBLISHED)
    if not again.any():
        return new
    return Decision(np.where(again, SECONDARY, new.status), np.where(again, old.protects, new.protects))


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
    needs = [Needs.of(v, group.protection, group.primary, s) for v, s in zip(group.values, group.step, strict=True)]
    cleared = np.zeros(group.values.shape, dtype=bool)  # shown safe in an earlier round
    seen: set[int] = set()  # cells given a complement in an earlier round
    top = group.top
    while True:
        # unknown to an outsider: suppressed, and published by no member of the group
        hidden, shown = np.zeros(group.size, dtype=bool), np.zeros(group.size, dtype=bool)
        for v, d in zip(group.var, decisions, strict=True):
            hidden[v[((d.status == PRIMARY) | (d.status == SECONDARY)) & (v >= 0)]] = True
            shown[v[(d.status == PUBLISHED) & (v >= 0)]] = True
        hidden &= ~shown
        exposed = exposed_cells(group.equations, group.values, group.step, needs, hidden, out, cleared)
        if not exposed:
            break
        # a grand total is never a complement (one the patterns suppress stays suppressed)
        added = (
            complements(group, hidden | top, exposed, seen, every=out.rounds >= ESCALATE_AFTER)
            if out.rounds < MAX_ROUNDS
            else np.zeros(0, np.int64)
        )
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
        decisions = [_keep(old, new) for old, new in zip(decisions, decide(extra), strict=True)]
    report = {
        "rounds": out.rounds,
        "added": out.added,
        "components": out.components,
        "programs": out.programs,
        "cells_checked": int(cleared.sum()),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return decisions, report
