"""Joint protection details: a top cell with no sibling has other patterns than its cheapest child,
and a lower bound of a shared cell is suppressed in its own table without touching the other."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from territoria.governance.secrecy.joint import Link, Member, joint_decisions
from territoria.governance.secrecy.rules import Dimension, RuleSet, Secondary
from territoria.governance.secrecy.secondary import MASKED, PUBLISHED, SECONDARY, protect_cells

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
