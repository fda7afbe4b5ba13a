"""The complement search's fast paths give what the plain computations they replace give.

Each reference below is the straightforward version (the code the fast path replaced): a sort of
the rows in table order by (parent key, rank), levels by binary search among the sorted distinct
costs, each row's parent checked on tree nodes. Random cubes, with shuffled rows, tied costs,
``-0.0`` and NaN costs, masked rows and clashing parents, must give identical arrays.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.core.errors import DataError
from territoria.governance.secrecy.rules import Dimension
from territoria.governance.secrecy.secondary import Protector, _levels, build_lines, cost_ranks
from territoria.governance.secrecy.tree import CellIndex, KeyMap, _codes, _one_dictionary, encode_dimension

from .tables import Table, complete_table
from .test_properties import SECONDARY_SPEC, tables

Array = np.ndarray
COSTS = [0.0, -0.0, 1.0, 2.0, 3.0, 1e6, np.nan, np.inf, 0.5]


def _reference_levels(cost: Array) -> Array:
    distinct = np.sort(np.unique_values(cost))
    found: Array = np.searchsorted(distinct, cost)
    return found


def _reference_lines(
    index: CellIndex, tree_parent: Array, nodes: Array, stride: int, present: Array, cost: Array
) -> tuple[Array, Array]:
    """(parent key, row) of every present row with a parent, sorted by parent key then (cost, key)."""
    rows = np.flatnonzero((tree_parent[nodes] >= 0) & present)
    pkeys = index.keys[rows] + (tree_parent[nodes[rows]] - nodes[rows]) * stride
    level = _reference_levels(cost[rows])
    order = np.lexsort((index.keys[rows], level, pkeys))
    return pkeys[order], rows[order]


def _shuffled(table: Table, seed: int) -> tuple[pa.Table, Array, Array]:
    arrow = table.arrow()
    rng = np.random.default_rng(seed)
    arrow = arrow.take(rng.permutation(arrow.num_rows))
    masked = np.array(arrow["masked"].to_pylist(), dtype=bool)
    cost = np.array(COSTS)[rng.integers(0, len(COSTS), arrow.num_rows)]
    return arrow, masked, cost


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(costs=st.lists(st.sampled_from(COSTS), min_size=0, max_size=60))
def test_levels_order_the_costs_as_a_search_among_the_sorted_distinct_costs(costs: list[float]) -> None:
    cost = np.array(costs, dtype=np.float64)
    new, old = _levels(cost), _reference_levels(cost)
    assert (np.argsort(new, kind="stable") == np.argsort(old, kind="stable")).all()
    assert ((new[:, None] == new[None, :]) == (old[:, None] == old[None, :])).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, seed=st.integers(0, 2**32 - 1))
def test_lines_are_those_of_a_sort_of_the_rows_in_table_order(table: Table, seed: int) -> None:
    arrow, masked, cost = _shuffled(table, seed)
    trees = [encode_dimension(arrow, d) for d in SECONDARY_SPEC.dimensions]
    present = ~masked
    index = CellIndex.build(trees, np.zeros(arrow.num_rows, dtype=np.int64), present)
    order = cost_ranks(index, cost)
    assert (order.rows == np.flatnonzero(present)[np.argsort(index.keys[present], kind="stable")]).all()
    for d, tree in enumerate(trees):
        stride = int(index.strides[d])
        lines = build_lines(index, tree, stride, order)
        pk, rs = _reference_lines(index, tree.parent, tree.nodes, stride, present, cost)
        assert (lines.rows == rs).all()
        starts = np.flatnonzero(np.r_[True, pk[1:] != pk[:-1]]) if len(pk) else np.zeros(0, dtype=np.int64)
        assert (lines.starts == starts).all()
        assert (lines.ends == np.r_[starts[1:], len(pk)]).all()
        assert (lines.group(pk[starts]) == np.arange(len(starts))).all()
        position = np.full(arrow.num_rows, -1)
        position[rs] = np.arange(len(rs))
        assert (lines.position == position).all()


def _reference_parent(codes: Array, parent_codes: Array, node_of: Array, parent_of: Array, size: int) -> Array | int:
    """The parent node of each node, or the first clashing row."""
    nodes = node_of[codes]
    has = parent_codes >= 0
    row_parent = np.where(has, parent_of[np.maximum(parent_codes, 0)], -1)
    row_parent = np.where(row_parent == nodes, -1, row_parent)
    target = np.where(has, nodes, size)
    slot = np.full(size + 1, -1, dtype=np.int64)
    slot[target] = row_parent
    clash = (slot[target] != row_parent) & has
    if clash.any():
        return int(np.argmax(clash))
    found: Array = slot[:-1]
    return found


@settings(max_examples=80, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from("abcdef"), st.one_of(st.none(), st.sampled_from("abcxyz"))), min_size=1, max_size=30
    ),
    chunk=st.integers(1, 7),
)
def test_parents_and_clashes_are_those_of_the_rows_tree_nodes(pairs: list[tuple[str, str | None]], chunk: int) -> None:
    values = [v for v, _ in pairs]
    parents = [p for _, p in pairs]
    arrow = pa.table(
        {
            "code": pa.chunked_array([values[i : i + chunk] for i in range(0, len(values), chunk)]),
            "parent": pa.chunked_array([parents[i : i + chunk] for i in range(0, len(parents), chunk)], pa.string()),
        }
    )
    labels = sorted({*values, *(p for p in parents if p is not None)})
    node = {v: i for i, v in enumerate(labels)}
    expected = _reference_parent(
        np.array([node[v] for v in values]),
        np.array([node[p] if p is not None else -1 for p in parents]),
        np.arange(len(labels)),
        np.arange(len(labels)),
        len(labels),
    )
    dim = Dimension(column="code", parent="parent")
    if isinstance(expected, int):
        with pytest.raises(DataError, match=f"value '{values[expected]}' of 'code' has several parents"):
            encode_dimension(arrow, dim)
        return
    tree = encode_dimension(arrow, dim)
    assert tree.labels == labels
    assert tree.parent.tolist() == expected.tolist()
    assert tree.nodes.tolist() == [node[v] for v in values]


def test_chunks_with_their_own_dictionaries_are_unified() -> None:
    """Arrow encodes every chunk with one shared dictionary; chunks that were encoded apart still
    get the codes of one dictionary."""
    column = pa.chunked_array([pa.array(["b", "a"]).dictionary_encode(), pa.array(["c", "b"]).dictionary_encode()])
    assert not _one_dictionary(column)
    shared = pa.chunked_array([pa.array(["b", "a"]), pa.array(["c", "b"])])
    codes, values = _codes(shared)
    assert [values[int(c)].as_py() for c in codes] == ["b", "a", "c", "b"]
    assert _one_dictionary(pa.chunked_array([pa.array(["b", "a"]), pa.array(["c"])]).dictionary_encode())


def test_a_value_with_two_parents_is_named() -> None:
    table = complete_table(3, [], 2, 1, [5, 7], [])
    arrow = table.arrow()
    parents = arrow["parent"].to_pylist()
    clash = max(i for i, c in enumerate(arrow["code"].to_pylist()) if c == "C1")
    parents[clash] = "C0"
    arrow = arrow.set_column(1, "parent", pa.array(parents))
    with pytest.raises(DataError, match="value 'C1' of 'code' has several parents in 'parent'"):
        encode_dimension(arrow, SECONDARY_SPEC.dimensions[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, seed=st.integers(0, 2**32 - 1))
def test_patterns_skip_the_line_lookups_of_leaves_only(table: Table, seed: int) -> None:
    """A leaf heads no line: the corners found without looking up its (absent) children line are
    those found when every node is looked up."""
    arrow, masked, cost = _shuffled(table, seed)
    trees = [encode_dimension(arrow, d) for d in SECONDARY_SPEC.dimensions]
    prot = Protector(trees, np.zeros(arrow.num_rows, dtype=np.int64), ~masked, cost)
    with ThreadPoolExecutor(1) as pool:
        prot.prepare(np.zeros(arrow.num_rows, dtype=bool), pool)
    cells = prot.order.rows.astype(np.int64)
    every = Protector(trees, np.zeros(arrow.num_rows, dtype=np.int64), ~masked, cost)
    every.order, every.lines = prot.order, prot.lines
    every.heads = [np.ones(t.size, dtype=bool) for t in trees]
    options = [[0, 1, -1] if d else [0] for d in prot.depth]
    for choices in itertools.product(*options):
        (rows, owners), ok = prot.corners(cells, choices)
        (rows_all, owners_all), ok_all = every.corners(cells, choices)
        assert (ok == ok_all).all()
        assert (rows == rows_all).all() and (owners == owners_all).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, seed=st.integers(0, 2**32 - 1))
def test_suppressed_cells_rank_as_cells_of_cost_zero(table: Table, seed: int) -> None:
    """``cost_ranks`` zeroes the suppressed cells' costs itself (after its gather): the same ranks
    as the costs zeroed beforehand (``-0.0`` and NaN among them)."""
    arrow, masked, cost = _shuffled(table, seed)
    trees = [encode_dimension(arrow, d) for d in SECONDARY_SPEC.dimensions]
    index = CellIndex.build(trees, np.zeros(arrow.num_rows, dtype=np.int64), ~masked)
    suppressed = np.random.default_rng(seed).random(arrow.num_rows) < 0.3
    new, old = cost_ranks(index, cost, suppressed), cost_ranks(index, np.where(suppressed, 0.0, cost))
    for field in ("keys", "rows", "rank", "by_rank"):
        assert (getattr(new, field) == getattr(old, field)).all()


def test_a_dense_key_map_keeps_no_input_alive() -> None:
    """A dense map answers from its table alone: it must not hold its input arrays (a view such as
    ``keys[:0]`` would keep the whole array, 56 MB a column on the national table)."""
    keys, values = np.arange(0, 2000, 2), np.arange(1000)
    watched = [weakref.ref(keys), weakref.ref(values)]
    found = KeyMap.build(keys, values, 2000)
    assert found.dense is not None
    del keys, values
    gc.collect()
    assert all(ref() is None for ref in watched)
    assert found.get(np.array([0, 2, 3, 1998, -1])).tolist() == [0, 1, -1, 999, -1]
