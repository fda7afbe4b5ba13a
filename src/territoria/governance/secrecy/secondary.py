"""Secondary suppression by hypercubes of balanced patterns.

The published table satisfies linear constraints: every margin equals the sum of its children
along each dimension (commune cells add up to the EPCI cell, sectors to ``TOUS``...). Someone
who knows the published cells can recover a suppressed cell exactly iff its unit vector lies in
the row space of those constraints restricted to the suppressed cells, i.e. iff every vector of
their null space is zero on it. So a suppressed cell is safe as soon as it lies in the support
of one *balanced pattern*: a ±1 perturbation of suppressed cells that leaves every constraint
true (the published numbers cannot tell the real table from the perturbed one).

We build such patterns as tensor products of one-dimensional balanced vectors, one per
dimension (the hypercube method of table-protection software, e.g. GHMITER in tau-ARGUS):

- a value with a sibling in its line: ``+x -y`` (plus one chain of descendants under each when
  the value is itself a margin, so that its own children still add up);
- a value without a usable sibling (a root margin, an only child): the whole path from its
  root down through it to a leaf, all ``+``;
- a dimension without margins: the value alone.

Every corner of the product is suppressed, and the product pattern stays balanced whatever
else is suppressed, so one pass protects every cell (primary and complementary). The sibling
of each dimension is the cheapest one in the line (already-suppressed cells cost nothing), which
keeps the information loss low. When a corner does not exist in the table (a sparse table),
other siblings and the path are tried; a cell that no pattern can protect stops publication.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from territoria.core.errors import DataError
from territoria.governance.secrecy.rules import Secondary
from territoria.governance.secrecy.tree import CellIndex, DimTree, encode_dimension, encode_partition

Array = np.ndarray

PUBLISHED, PRIMARY, SECONDARY, MASKED = 0, 1, 2, 3
SIBLING_RANKS = 4
CHUNK = 100_000


@dataclass
class Decision:
    #: per row: 0 published, 1 primary suppression, 2 secondary, 3 masked upstream
    status: Array
    #: per row: for a secondary suppression, the row of the primary cell it protects; else -1
    protects: Array


@dataclass
class Lines:
    """The lines of one dimension: cells grouped by their parent's key, cheapest first."""

    group_keys: Array
    starts: Array
    ends: Array
    rows: Array
    position: Array  # position of each row in ``rows`` (-1 when it has no parent)

    def group(self, keys: Array) -> Array:
        if not len(self.group_keys):
            return np.full(keys.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.group_keys, keys), len(self.group_keys) - 1)
        return np.where(self.group_keys[pos] == keys, pos, -1)

    def first(self, keys: Array) -> Array:
        g = self.group(keys)
        return np.where(g >= 0, self.rows[self.starts[np.maximum(g, 0)]] if len(self.rows) else -1, -1)

    def sibling(self, cells: Array, parent_keys: Array, rank: int) -> Array:
        """The ``rank``-th cheapest other cell of each cell's line, -1 if none."""
        g = self.group(parent_keys)
        ok = g >= 0
        g0 = np.maximum(g, 0)
        j = self.starts[g0] + rank if len(self.starts) else np.zeros_like(cells)
        j = np.where(self.position[cells] <= j, j + 1, j)
        ok &= j < (self.ends[g0] if len(self.ends) else 0)
        return np.where(ok, self.rows[np.minimum(j, max(len(self.rows) - 1, 0))] if len(self.rows) else -1, -1)


def build_lines(index: CellIndex, tree: DimTree, stride: int, present: Array, cost: Array) -> Lines:
    rows = np.flatnonzero(present & (tree.parent[tree.nodes] >= 0))
    nodes = tree.nodes[rows]
    pkeys = index.keys[rows] + (tree.parent[nodes] - nodes) * stride
    order = np.lexsort((rows, cost[rows], pkeys))
    pk, rs = pkeys[order], rows[order]
    brk = np.r_[True, pk[1:] != pk[:-1]] if len(pk) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(brk)
    ends = np.r_[starts[1:], len(pk)].astype(np.int64)
    position = np.full(len(present), -1, dtype=np.int64)
    position[rs] = np.arange(len(rs))
    return Lines(pk[starts], starts, ends, rs, position)


class Protector:
    def __init__(self, trees: list[DimTree], partition: Array, present: Array, cost: Array) -> None:
        self.trees = trees
        self.index = CellIndex.build(trees, partition, present)
        self.present = present
        self.cost = cost
        self.depth = [int(t.depth().max(initial=0)) for t in trees]
        self.lines: list[Lines] = []

    def prepare(self, suppressed: Array) -> None:
        cost = np.where(suppressed, 0.0, self.cost)
        self.lines = [
            build_lines(self.index, t, int(s), self.present, cost)
            for t, s in zip(self.trees, self.index.strides, strict=True)
        ]

    def _chain(self, d: int, base: Array, node: Array) -> list[Array]:
        """Cheapest descendants of ``node`` (one per level) at the cells' other coordinates."""
        out = []
        stride = self.index.strides[d]
        for _ in range(self.depth[d]):
            child = self.lines[d].first(np.where(node >= 0, base + node * stride, -1))
            node = np.where(child >= 0, self.trees[d].nodes[np.maximum(child, 0)], -1)
            out.append(node)
        return out

    def vector(self, d: int, cells: Array, choice: int) -> tuple[Array, Array]:
        """One-dimensional balanced vector of each cell: nodes (cells x width, -1 padded), and
        whether each node's chain goes on below it (its children line is balanced by the pattern).

        ``choice`` is the rank of the sibling to swap with, or -1 for the root-to-leaf path.
        """
        tree, stride = self.trees[d], self.index.strides[d]
        x = tree.nodes[cells]
        base = self.index.keys[cells] - x * stride
        parent = tree.parent[x]
        sib = np.full(len(cells), -1, dtype=np.int64)
        if choice >= 0:
            pkeys = np.where(parent >= 0, base + parent * stride, -1)
            sib = self.lines[d].sibling(cells, pkeys, choice)
        y = np.where(sib >= 0, tree.nodes[np.maximum(sib, 0)], -1)
        chain_x, chain_y = [x, *self._chain(d, base, x)], [y, *self._chain(d, base, y)]
        ancestors: list[Array] = []
        node = parent
        for _ in range(self.depth[d]):
            ancestors.insert(0, node)
            node = np.where(node >= 0, tree.parent[np.maximum(node, 0)], -1)
        swap_nodes = chain_x + chain_y
        path_nodes = ancestors + chain_x
        width = max(len(swap_nodes), len(path_nodes))
        nodes = np.full((len(cells), width), -1, dtype=np.int64)
        below = np.zeros((len(cells), width), dtype=bool)
        use_swap = sib >= 0
        for rows, columns, segments in ((use_swap, swap_nodes, (chain_x, chain_y)), (~use_swap, path_nodes, None)):
            for i, col in enumerate(columns):
                nodes[rows, i] = col[rows]
                last = segments is not None and (i == len(chain_x) - 1 or i == len(columns) - 1)
                if not last and i + 1 < len(columns):
                    below[rows, i] = columns[i + 1][rows] >= 0
        return nodes, below

    def corners(self, cells: Array, choices: tuple[int, ...]) -> tuple[Array, Array]:
        """Rows of every corner of each cell's hypercube (cells x corners; -2 = padding, -1 = missing),
        and whether the pattern is balanced (every corner exists, every touched line adds up)."""
        partition_key = self.index.keys[cells].copy()
        for d, t in enumerate(self.trees):
            partition_key -= t.nodes[cells] * self.index.strides[d]
        k = len(self.trees)
        keys = partition_key.reshape(-1, *([1] * k))
        valid = np.ones_like(keys, dtype=bool)
        belows = []
        for d in range(k):
            nodes, below = self.vector(d, cells, choices[d])
            shape = [len(cells)] + [1] * k
            shape[d + 1] = nodes.shape[1]
            keys = keys + np.maximum(nodes.reshape(shape), 0) * self.index.strides[d]
            valid = valid & (nodes.reshape(shape) >= 0)
            belows.append(below.reshape(shape))
        full = keys.shape
        valid = np.broadcast_to(valid, full)
        rows = np.where(valid, self.index.lookup(keys), -2)
        broken = rows == -1
        # A corner whose node ends its chain must have no children line at its coordinates,
        # else that line would not add up (a sparse table can have children here and not there).
        for d in range(k):
            open_end = valid & ~np.broadcast_to(belows[d], full)
            if self.depth[d] and open_end.any():
                broken |= open_end & (self.lines[d].group(np.where(open_end, keys, -1)) >= 0)
        rows, broken = rows.reshape(len(cells), -1), broken.reshape(len(cells), -1)
        return rows, ~broken.any(axis=1)


def protect_cells(table: pa.Table, secondary: Secondary | None, primary: Array, masked: Array, cost: Array) -> Decision:
    """Decide, for each row of ``table``, whether it is published or suppressed and why."""
    n = table.num_rows
    status = np.where(masked, MASKED, np.where(primary & ~masked, PRIMARY, PUBLISHED)).astype(np.int8)
    protects = np.full(n, -1, dtype=np.int64)
    if secondary is None or not (status == PRIMARY).any():
        return Decision(status, protects)
    trees = [encode_dimension(table, d) for d in secondary.dimensions]
    partition = encode_partition(table, secondary.partition)
    prot = Protector(trees, partition, ~masked, np.asarray(cost, dtype=np.float64))
    suppressed = status == PRIMARY
    prot.prepare(suppressed)
    pending = np.flatnonzero(status == PRIMARY)
    # Cheapest sibling in every dimension first, then other siblings and paths for sparse tables.
    options = [0, *range(1, SIBLING_RANKS), -1]
    attempts = [tuple([0] * len(trees))] + [
        c for c in itertools.product(options, repeat=len(trees)) if c != tuple([0] * len(trees))
    ]
    for choices in attempts:
        if not len(pending):
            break
        failed = []
        for start in range(0, len(pending), CHUNK):
            cells = pending[start : start + CHUNK]
            rows, ok = prot.corners(cells, choices)
            good_rows = rows[ok]
            owners = np.broadcast_to(cells[ok][:, None], good_rows.shape)
            keep = good_rows >= 0
            newly = keep & ~suppressed[np.maximum(good_rows, 0)]
            protects[good_rows[newly]] = owners[newly]
            suppressed[good_rows[keep]] = True
            failed.append(cells[~ok])
        pending = np.concatenate(failed) if failed else pending[:0]
    if len(pending):
        raise DataError(
            f"secrecy: {len(pending)} sensitive cell(s) cannot be protected by any complement in this table "
            f"(first at row {int(pending[0])})",
            hint="publish the margins of the table (totals) or coarser breakdowns; nothing was published",
        )
    status = np.where((status == PUBLISHED) & suppressed, SECONDARY, status).astype(np.int8)
    return Decision(status, protects)
