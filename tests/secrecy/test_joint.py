"""Joint protection details: a top cell with no sibling has other patterns than its cheapest child,
and a lower bound of a shared cell (in either table) is suppressed in its own table without touching
the other."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria.governance.secrecy.joint import GroupPlans, Link, Member, joint_decisions
from territoria.governance.secrecy.rules import Dimension, RuleSet, Secondary
from territoria.governance.secrecy.secondary import MASKED, PRIMARY, PUBLISHED, SECONDARY, Decision, protect_cells

from .tables import derivable_cells

GEO = Dimension(column="code", parent="parent")
SECTOR = Dimension(column="sector", total="T")
SECONDARY_DIMS = Secondary(dimensions=[GEO, SECTOR])


def _at(table: pa.Table, code: str, sector: str) -> np.ndarray:
    return np.array(
        [(c, s) == (code, sector) for c, s in zip(table["code"].to_pylist(), table["sector"].to_pylist(), strict=True)]
    )


def _grid(masked_cells: set[tuple[str, str]]) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Territory E = A + B + C, sectors T = s1 + s2; A is the cheapest commune (fewest sites)."""
    sites = {"A": 1, "B": 5, "C": 9}
    rows = [(c, "E" if c != "E" else None, s) for c in ("E", "A", "B", "C") for s in ("T", "s1", "s2")]
    table = pa.table({"code": [r[0] for r in rows], "parent": [r[1] for r in rows], "sector": [r[2] for r in rows]})
    masked = np.array([(r[0], r[2]) in masked_cells for r in rows])
    cost = np.array([float(sites.get(r[0], 100)) for r in rows])
    return table, masked, cost


def test_a_top_cell_whose_cheapest_child_has_a_masked_corner_takes_the_next_child() -> None:
    table, masked, cost = _grid({("A", "s1"), ("A", "s2")})
    forced = _at(table, "E", "T")
    decision = protect_cells(table, SECONDARY_DIMS, np.zeros(len(cost), bool), masked, cost, forced)
    hidden = {
        (c, s)
        for c, s, st in zip(table["code"].to_pylist(), table["sector"].to_pylist(), decision.status, strict=True)
        if st == SECONDARY
    }
    # E x T with E x s?, B x T and B x s? : a rectangle through B (A has no sector cell left)
    assert ("E", "T") in hidden and ("B", "T") in hidden and ("A", "T") not in hidden
    assert any((c, s) in hidden for c in ("E",) for s in ("s1", "s2"))
    assert decision.status[masked].tolist() == [MASKED, MASKED]


def _member(name: str, table: pa.Table, masked: np.ndarray, cost: np.ndarray) -> Member:
    ruleset = RuleSet(name=name, measures=["nb"], rules=[], secondary=SECONDARY_DIMS)
    flags = table.append_column("_row", pa.array(np.arange(table.num_rows)))
    zeros = np.zeros(table.num_rows, dtype=bool)
    return Member(name, ruleset, name, "rowid", flags, [], zeros, masked, cost)


def test_a_lower_bound_is_suppressed_in_its_table_and_frees_nothing_in_the_other() -> None:
    table, masked, cost = _grid(set())
    complete = _member("a", table, np.zeros(len(cost), bool), cost)
    partial = _member("b", table, masked, cost)
    rows = np.arange(table.num_rows)
    bound = _at(table, "E", "T")
    decided = joint_decisions([complete, partial], [Link(0, 1, rows, rows, bound)])
    assert decided[1].status[bound].tolist() == [SECONDARY]  # the bound is hidden where it is published
    # the complete table hides the cells the other hides (its protection), but not its own total
    assert decided[0].status[bound].tolist() == [PUBLISHED]
    same = ~bound & (decided[1].status == SECONDARY)
    assert (decided[0].status[same] == SECONDARY).all()


CELLS = [(c, s) for c in ("E", "A", "B", "C") for s in ("T", "s1", "s2")]


@settings(max_examples=150, deadline=None)
@given(
    bounds_a=st.sets(st.sampled_from(CELLS), max_size=4),
    bounds_b=st.sets(st.sampled_from(CELLS), max_size=4),
    primary=st.sets(st.sampled_from(CELLS), max_size=2),
    primary_b=st.sets(st.sampled_from(CELLS), max_size=2),
)
def test_a_lower_bound_on_either_side_is_never_published_beside_the_complete_cell(
    bounds_a: set[tuple[str, str]],
    bounds_b: set[tuple[str, str]],
    primary: set[tuple[str, str]],
    primary_b: set[tuple[str, str]],
) -> None:
    """Two tables publish the same cells; in either, some are lower bounds (a component masked
    upstream left out). A lower bound and the complete cell both published give the masked part by
    difference (Paris's tertiary electricity from ORE by arrondissement, one masked, against
    Enedis's complete IRIS sum). Before, only the other table's lower bounds were hidden; and a
    member deciding again (a new pattern) could publish a cell the other hid because of it."""
    table, masked, cost = _grid(set())
    at = {cell: _at(table, *cell) for cell in CELLS}
    first = _member("a", table, masked, cost)
    first.primary = np.logical_or.reduce([at[c] for c in primary]) if primary else first.primary
    second = _member("b", table, masked, cost)
    second.primary = np.logical_or.reduce([at[c] for c in primary_b]) if primary_b else second.primary
    rows = np.arange(table.num_rows)
    bound_a = np.logical_or.reduce([np.zeros(len(rows), bool), *(at[c] for c in bounds_a)])
    bound_b = np.logical_or.reduce([np.zeros(len(rows), bool), *(at[c] for c in bounds_b)])
    decided = joint_decisions([first, second], [Link(0, 1, rows, rows, bound_b, bound_a)])
    shown_a, shown_b = decided[0].status == PUBLISHED, decided[1].status == PUBLISHED
    assert not (shown_a & shown_b & (bound_a != bound_b)).any()
    same = ~(bound_a | bound_b)
    assert (shown_a[same] == shown_b[same]).all()  # one quantity: published in both or in neither
    assert not (shown_a & first.primary).any() and not (shown_b & second.primary).any()


def _group(perm: np.ndarray, first_row: int, primary: set[tuple[str, str]]) -> tuple[list[Member], list[Link]]:
    """Two tables publishing the grid's cells, rows in the order ``perm``, row ids from ``first_row``
    (a table built again numbers its rows anew); ``primary`` cells fail the rule in the first."""
    table, masked, cost = _grid(set())
    table, masked, cost = table.take(pa.array(perm)), masked[perm], cost[perm]
    members = []
    for name in ("a", "b"):
        member = _member(name, table, masked, cost)
        member.flags = table.append_column("_row", pa.array(first_row + np.arange(table.num_rows)))
        members.append(member)
    members[0].primary = np.logical_or.reduce([np.zeros(len(perm), bool), *(_at(table, *c) for c in primary)])
    rows = np.arange(table.num_rows)
    return members, [Link(0, 1, rows, rows, np.zeros(len(rows), bool))]


def _by_cell(members: list[Member], decisions: list[Decision]) -> list[dict[tuple[str, str], tuple[int, object]]]:
    """Each member's statuses and protected cells by key, whatever the row order."""
    out = []
    for m, d in zip(members, decisions, strict=True):
        keys = list(zip(m.flags["code"].to_pylist(), m.flags["sector"].to_pylist(), strict=True))
        out.append(
            {k: (int(s), keys[p] if p >= 0 else None) for k, s, p in zip(keys, d.status, d.protects, strict=True)}
        )
    return out


@settings(max_examples=60, deadline=None)
@given(
    primary=st.sets(st.sampled_from(CELLS), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
    first_row=st.integers(0, 1000),
)
def test_a_group_plan_is_found_and_mapped_whatever_the_order_of_the_rows(
    primary: set[tuple[str, str]], seed: int, first_row: int
) -> None:
    """The decisions of a group are kept by content: the same tables read with their rows in another
    order (and other row ids) find them, each cell getting its own decision (before, the key was the
    rows in read order: a miss, the plan computed again). What they publish breaks no rule and gives
    no suppressed cell back by difference."""
    plans = GroupPlans()
    members, links = _group(np.arange(len(CELLS)), 0, primary)
    first = plans.get(members, links, lambda: (joint_decisions(members, links), None))[0]
    perm = np.random.default_rng(seed).permutation(len(CELLS))
    again, again_links = _group(perm, first_row, primary)
    computed: list[int] = []

    def compute() -> tuple[list[Decision], None]:
        computed.append(1)
        return joint_decisions(again, again_links), None

    found = plans.get(again, again_links, compute)[0]
    assert computed == []  # found by content
    assert _by_cell(again, found) == _by_cell(members, first) == _by_cell(again, joint_decisions(again, again_links))
    parents: list[dict[str, str | None]] = [
        {"E": None, "A": "E", "B": "E", "C": "E"},
        {"T": None, "s1": "T", "s2": "T"},
    ]
    for m, d in zip(again, found, strict=True):
        assert not (m.primary & (d.status == PUBLISHED)).any()
        keys = list(zip(m.flags["code"].to_pylist(), m.flags["sector"].to_pylist(), strict=True))
        hidden = {k for k, s in zip(keys, d.status, strict=True) if s in (PRIMARY, SECONDARY)}
        assert derivable_cells(sorted(CELLS), parents, hidden) == []


def test_a_group_plan_of_other_cells_is_not_taken() -> None:
    """Same rows, one cell's rule outcome differs: another content, computed anew."""
    plans = GroupPlans()
    members, links = _group(np.arange(len(CELLS)), 0, {("A", "s1")})
    plans.get(members, links, lambda: (joint_decisions(members, links), None))
    other, other_links = _group(np.arange(len(CELLS)), 0, {("B", "s1")})
    computed: list[int] = []
    plans.get(other, other_links, lambda: computed.append(1) or (joint_decisions(other, other_links), None))
    assert computed == [1]
