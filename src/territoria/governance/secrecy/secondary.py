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

import functools
import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from territoria.core.errors import DataError
from territoria.core.wording import counted
from territoria.governance.secrecy.rules import Secondary
from territoria.governance.secrecy.tree import CellIndex, DimTree, KeyMap, encode_dimension, encode_partition

Array = np.ndarray

PUBLISHED, PRIMARY, SECONDARY, MASKED = 0, 1, 2, 3
SIBLING_RANKS = 4
#: how far the cells no usual pattern protects look (a line of a sparse table, e.g. the sectors)
WIDE_RANKS = 10
CHUNK = 100_000
WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class Decision:
    #: per row: 0 published, 1 primary suppression, 2 secondary, 3 masked upstream
    status: Array
    #: per row: for a secondary suppression, the row of the primary cell it protects; else -1
    protects: Array


@dataclass
class Lines:
    """The lines of one dimension: cells grouped by their parent's key, cheapest first."""

    groups: KeyMap  # parent key -> line number
    starts: Array
    ends: Array
    rows: Array
    position: Array  # position of each row in ``rows`` (-1 when it has no parent)

    def group(self, keys: Array) -> Array:
        return self.groups.get(keys)

    def first(self, keys: Array) -> Array:
        g = self.group(keys)
        return np.where(g >= 0, self.rows[self.starts[np.maximum(g, 0)]] if len(self.rows) else -1, -1)

    def nth(self, keys: Array, rank: int) -> Array:
        """The ``rank``-th cheapest cell of each line (by its parent's key), -1 if none."""
        g = self.group(keys)
        if not len(self.starts):
            return np.full(len(keys), -1, dtype=np.int64)
        g0 = np.maximum(g, 0)
        j = self.starts[g0] + rank
        ok = (g >= 0) & (j < self.ends[g0])
        return np.where(ok, self.rows[np.minimum(j, len(self.rows) - 1)], -1)

    def has_sibling(self, parent_keys: Array, rank: int) -> Array:
        """Whether each cell's line (by its parent's key) has a ``rank``-th cheapest other cell."""
        g = self.group(parent_keys)
        size = np.where(g >= 0, self.ends[np.maximum(g, 0)] - self.starts[np.maximum(g, 0)], 0) if len(self.ends) else 0
        return np.asarray(size > rank + 1, dtype=bool) & (g >= 0)

    def sibling(self, cells: Array, parent_keys: Array, rank: int) -> Array:
        """The ``rank``-th cheapest other cell of each cell's line, -1 if none."""
        g = self.group(parent_keys)
        ok = g >= 0
        g0 = np.maximum(g, 0)
        j = self.starts[g0] + rank if len(self.starts) else np.zeros_like(cells)
        j = np.where(self.position[cells] <= j, j + 1, j)
        ok &= j < (self.ends[g0] if len(self.ends) else 0)
        return np.where(ok, self.rows[np.minimum(j, max(len(self.rows) - 1, 0))] if len(self.rows) else -1, -1)


def _next(chain: list[Array], n: int) -> Array:
    return chain[0] >= 0 if chain else np.zeros(n, dtype=bool)


def _chain_below(chain: list[Array]) -> list[Array]:
    return [chain[i + 1] >= 0 for i in range(len(chain) - 1)] + ([chain[-1] < -1] if chain else [])


def _levels(cost: Array) -> Array:
    """Order-preserving integer levels of the costs (equal costs share a level): one hash pass
    over the costs, and only the (few) distinct costs are sorted; uint16 when they are few."""
    encoded = pc.dictionary_encode(pa.array(cost))
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    # the first place of each distinct cost among them sorted: equal costs (0.0 and -0.0, the
    # NaNs, which the hash may keep apart) share a level, and NaN comes last as in numpy's sort
    level_of = np.searchsorted(np.sort(distinct), distinct)
    if len(distinct) < 2**16:
        level_of = level_of.astype(np.uint16)  # argsort(kind="stable") is then a radix sort
    found: Array = level_of[encoded.indices.to_numpy(zero_copy_only=False)]
    return found


@dataclass
class KeyOrder:
    """The present cells in key order: their keys, their rows, and each one's rank by (cost, key)
    with the row of each rank (cheapest first; ties broken by the cell's key and not its row, so
    that the pattern does not depend on the row order)."""

    keys: Array
    rows: Array
    rank: Array  # rank of each cell, in key order
    by_rank: Array  # row of each rank


def cost_ranks(index: CellIndex, cost: Array, suppressed: Array | None = None) -> KeyOrder:
    """``suppressed`` cells cost nothing (a pattern through them hides nothing more)."""
    keys, rows = index.rows.items_in_key_order()
    index_type = np.int32 if len(cost) < 2**31 else np.int64  # rows and ranks: half the memory traffic
    rows = rows.astype(index_type, copy=False)
    present_cost = cost[rows]
    if suppressed is not None:  # zeroed after the gather: no copy of every row's cost
        np.copyto(present_cost, 0.0, where=suppressed[rows])
    levels = _levels(present_cost)
    del present_cost  # before the argsort's int64 result: a lower peak
    by_position = np.argsort(levels, kind="stable")  # stable: ties stay in key order
    by_rank = rows[by_position]
    rank = np.empty(len(rows), dtype=index_type)
    rank[by_position] = np.arange(len(rows), dtype=index_type)
    return KeyOrder(keys, rows, rank, by_rank)


def build_lines(index: CellIndex, tree: DimTree, stride: int, order: KeyOrder) -> Lines:
    """The lines of one dimension, each sorted by (cost, key), from the cells in key order: their
    (parent key, rank) pairs then come in long sorted runs (siblings are a stride apart), which the
    stable sort (a merge of runs) orders in a fraction of the time of any sort of shuffled pairs;
    the node of each cell is read from its key (arithmetic, no gather through the row order)."""
    has_parent = tree.parent >= 0  # per node: small tables gathered per cell
    if not has_parent.any():  # a dimension without margins has no lines (no pass over the cells)
        none = np.zeros(0, dtype=np.int64)
        no_position = np.broadcast_to(order.rank.dtype.type(-1), (len(index.keys),))  # read-only, no memory
        return Lines(KeyMap(None, none, none), none, none, none, no_position)
    # one buffer turned in place into each cell's node, then its shift to its parent's key, then
    # that key: every new array of the cells' length is fresh memory, i.e. page faults
    work = np.floor_divide(order.keys, stride)
    work %= tree.size
    child = has_parent[work]
    to_parent = np.where(has_parent, tree.parent - np.arange(tree.size), 0) * stride  # key shift per node
    np.take(to_parent, work, out=work, mode="clip")  # nodes are in range; "raise" would copy
    work += order.keys
    pkeys = work[child]
    del work
    rank = order.rank[child]
    bits = len(index.keys).bit_length()
    if index.space << bits < 2**62:  # one sort of single integers: (parent key, rank) in one int64
        combined = pkeys
        combined <<= bits
        combined |= rank
        del rank
        combined.sort(kind="stable")  # the values are unique: the same order as any sort
        low = np.bitwise_and(combined, (1 << bits) - 1)
        rs = order.by_rank[low]
        del low
        combined >>= bits
        pk = combined
    else:
        by = np.lexsort((rank, pkeys))
        pk, rs = pkeys[by], order.by_rank[rank[by]]
    brk = np.r_[True, pk[1:] != pk[:-1]] if len(pk) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(brk)
    ends = np.r_[starts[1:], len(pk)].astype(np.int64)
    position = np.full(len(index.keys), -1, dtype=order.rank.dtype)
    position[rs] = np.arange(len(rs), dtype=order.rank.dtype)
    groups = KeyMap.build(pk[starts], np.arange(len(starts)), index.space)
    return Lines(groups, starts, ends, rs, position)


class Protector:
    def __init__(self, trees: list[DimTree], partition: Array, present: Array, cost: Array) -> None:
        self.trees = trees
        self.index = CellIndex.build(trees, partition, present)
        self.present = present
        self.cost = cost
        self.depth = [int(t.depth().max(initial=0)) for t in trees]
        # per dimension and node: whether it has children, i.e. can be the parent of a line (most
        # nodes of a pattern are leaves: their line lookups, random reads of a table as large as
        # the key space, are skipped)
        self.heads = [np.isin(np.arange(t.size), t.parent[t.parent >= 0]) for t in trees]
        self.lines: list[Lines] = []
        self.order: KeyOrder  # set by ``prepare``

    def prepare(self, suppressed: Array, pool: ThreadPoolExecutor) -> None:
        self.order = cost_ranks(self.index, self.cost, suppressed)
        build = functools.partial(build_lines, self.index, order=self.order)
        self.lines = list(pool.map(build, self.trees, [int(s) for s in self.index.strides]))
        # read by ``build_lines`` only: their memory freed for the search (the peak is there)
        empty = self.order.rows[:0].copy()
        self.order.keys, self.order.rank, self.order.by_rank = empty.astype(np.int64), empty, empty

    def longest(self, d: int) -> int:
        """The most cells in one line of dimension ``d``: no rank beyond it chooses anything."""
        lines = self.lines[d]
        return int((lines.ends - lines.starts).max(initial=0))

    def _chain(self, d: int, base: Array, node: Array, first: Array | None = None) -> list[Array]:
        """Cheapest descendants of ``node`` (one per level) at the cells' other coordinates; at the
        first level, the ``first``-th cheapest child instead where given (0: the cheapest)."""
        out = []
        stride = self.index.strides[d]
        for level in range(self.depth[d]):
            keys = np.where((node >= 0) & self.heads[d][node], base + node * stride, -1)  # a leaf: no child
            if level == 0 and first is not None and first.any():
                child = np.where(first > 0, self.lines[d].nth(keys, int(first.max())), self.lines[d].first(keys))
            else:
                child = self.lines[d].first(keys)
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
        # a top cell (no parent, hence no sibling) tries its ``choice``-th cheapest child instead:
        # its only other pattern, tried when the cheapest child's corners are missing
        first = np.where((parent < 0) & (choice > 0), choice, 0) if choice > 0 else None
        chain_x, chain_y = self._chain(d, base, x, first), self._chain(d, base, y)
        ancestors: list[Array] = []
        node = parent
        for _ in range(self.depth[d]):
            ancestors.append(node)
            node = np.where(node >= 0, tree.parent[np.maximum(node, 0)], -1)
        # Layouts put the usual nodes first so that unused (all -1) columns can be dropped:
        # a swap is [x, y, x's chain, y's chain], a path [x, x's chain, ancestors].
        swap = [x, y, *chain_x, *chain_y]
        swap_below = [
            _next(chain_x, len(cells)),
            _next(chain_y, len(cells)),
            *_chain_below(chain_x),
            *_chain_below(chain_y),
        ]
        path = [x, *chain_x, *ancestors]
        path_below = [
            _next(chain_x, len(cells)),
            *_chain_below(chain_x),
            *[np.ones(len(cells), dtype=bool)] * len(ancestors),
        ]
        width = max(len(swap), len(path))
        none, no = np.full(len(cells), -1, dtype=np.int64), np.zeros(len(cells), dtype=bool)
        swap += [none] * (width - len(swap))
        path += [none] * (width - len(path))
        swap_below += [no] * (width - len(swap_below))
        path_below += [no] * (width - len(path_below))
        use_swap = sib >= 0
        nodes = np.stack([np.where(use_swap, a, b) for a, b in zip(swap, path, strict=True)], axis=1)
        below = np.stack([np.where(use_swap, a, b) for a, b in zip(swap_below, path_below, strict=True)], axis=1)
        used = (nodes >= 0).any(axis=0)
        return nodes[:, used], below[:, used]

    def repeats(self, cells: Array, choices: tuple[int, ...]) -> Array:
        """Cells for which ``choices`` gives a pattern an earlier attempt already tried (and failed):
        a sibling rank the line does not have falls back to the path, and so did the rank before."""
        repeat = np.zeros(len(cells), dtype=bool)
        for d, choice in enumerate(choices):
            if choice == 0:
                continue
            previous = choice - 1 if choice > 0 else SIBLING_RANKS - 1
            tree, stride = self.trees[d], self.index.strides[d]
            x = tree.nodes[cells]
            parent = tree.parent[x]
            pkeys = np.where(parent >= 0, self.index.keys[cells] + (parent - x) * stride, -1)
            top = parent < 0
            if choice > 0 and top.any():  # a top cell's choice is its n-th child: new if it has one
                child = self.lines[d].nth(np.where(top, self.index.keys[cells], -1), choice)
                repeat |= np.where(top, child < 0, ~self.lines[d].has_sibling(pkeys, previous))
            else:
                repeat |= ~self.lines[d].has_sibling(pkeys, previous)
        return repeat

    def corners(self, cells: Array, choices: tuple[int, ...]) -> tuple[tuple[Array, Array], Array]:
        """(rows of the corners, the primary cell owning each) of the balanced patterns, and whether
        the pattern is balanced (every corner exists, every line it touches adds up)."""
        if not len(cells):
            none = np.zeros(0, dtype=np.int64)
            return (none, none), np.zeros(0, dtype=bool)
        vectors = [self.vector(d, cells, choices[d]) for d in range(len(self.trees))]
        # Group cells by the shape of their vectors so that no padding is multiplied out.
        signature = np.zeros(len(cells), dtype=np.int64)
        for nodes, _ in vectors:
            bits = ((nodes >= 0) * (1 << np.arange(nodes.shape[1]))).sum(axis=1)
            signature = signature * (1 << nodes.shape[1]) + bits
        ok = np.zeros(len(cells), dtype=bool)
        rows_out: list[Array] = []
        owners: list[Array] = []
        for sig in np.unique(signature):
            sel = np.flatnonzero(signature == sig)
            parts = []
            for nodes, below in vectors:
                used = nodes[sel[0]] >= 0
                parts.append((nodes[sel][:, used], below[sel][:, used]))
            rows, good = self._corners(cells[sel], parts)
            ok[sel] = good
            rows_out.append(rows[good].ravel())
            owners.append(np.repeat(cells[sel][good], rows.shape[1]))
        return (np.concatenate(rows_out), np.concatenate(owners)), ok

    def _corners(self, cells: Array, parts: list[tuple[Array, Array]]) -> tuple[Array, Array]:
        k = len(self.trees)
        keys = self.index.keys[cells].copy()
        for d, t in enumerate(self.trees):
            keys -= t.nodes[cells] * self.index.strides[d]
        keys = keys.reshape(-1, *([1] * k))
        belows = []
        for d, (nodes, below) in enumerate(parts):
            shape = [len(cells)] + [1] * k
            shape[d + 1] = nodes.shape[1]
            keys = keys + nodes.reshape(shape) * self.index.strides[d]
            # only a node with children can have a children line: a leaf's chain may end there
            belows.append((below | ~self.heads[d][nodes]).reshape(shape))
        rows = self.index.lookup(keys)
        broken = rows == -1
        # A corner whose node ends its chain must have no children line at its coordinates,
        # else that line would not add up (a sparse table can have children here and not there).
        for d in range(k):
            if not self.depth[d]:
                continue
            open_end = ~np.broadcast_to(belows[d], keys.shape)
            if open_end.any():
                broken |= open_end & (self.lines[d].group(np.where(open_end, keys, -1)) >= 0)
        return rows.reshape(len(cells), -1), ~broken.reshape(len(cells), -1).any(axis=1)


def _attempts(prot: Protector, ranks: int) -> list[tuple[int, ...]]:
    """Each dimension's choices (sibling ranks below ``ranks``, the path), fewest departures from
    the cheapest choice first."""
    options = [
        [0, *range(1, min(ranks, prot.longest(d))), -1] if prot.depth[d] else [0] for d in range(len(prot.trees))
    ]
    return sorted(itertools.product(*options), key=lambda c: (sum(x != 0 for x in c), [x % 99 for x in c]))


def _search(
    prot: Protector,
    pending: Array,
    attempts: list[tuple[int, ...]],
    suppressed: Array,
    protects: Array,
    pool: ThreadPoolExecutor,
) -> Array:
    """Try ``attempts`` in order on the ``pending`` cells, suppressing the corners of each pattern
    that protects a cell (in ``suppressed``, the cell it protects in ``protects``); the cells no
    attempt protects."""
    for choices in attempts:
        if not len(pending):
            break
        # cells whose pattern an earlier attempt already tried fail again: not recomputed
        tried = ~prot.repeats(pending, choices)
        chunks = [pending[start : start + CHUNK] for start in range(0, len(pending), CHUNK)]
        wanted = [tried[start : start + CHUNK] for start in range(0, len(pending), CHUNK)]
        todo = [c[w] for c, w in zip(chunks, wanted, strict=True)]
        failed = []
        for cells, want, ((rows, owners), ok) in zip(
            chunks, wanted, pool.map(functools.partial(prot.corners, choices=choices), todo), strict=True
        ):
            newly = ~suppressed[rows]
            protects[rows[newly]] = owners[newly]
            suppressed[rows] = True
            good = np.zeros(len(cells), dtype=bool)
            good[want] = ok
            failed.append(cells[~good])
        pending = np.concatenate(failed) if failed else pending[:0]
    return pending


def protect_cells(
    table: pa.Table,
    secondary: Secondary | None,
    primary: Array,
    masked: Array,
    cost: Array,
    forced: Array | None = None,
) -> Decision:
    """Decide, for each row of ``table``, whether it is published or suppressed and why.

    ``forced``: cells suppressed whatever their own rules say (another table that publishes them
    suppressed them); they are secondary suppressions and protected like primary ones."""
    n = table.num_rows
    # int8 from the start, written in place: no int64 temporaries of the table's length
    status = np.zeros(n, dtype=np.int8)
    np.copyto(status, np.int8(PRIMARY), where=np.asarray(primary, dtype=bool))
    np.copyto(status, np.int8(MASKED), where=np.asarray(masked, dtype=bool))
    if forced is not None:
        status[(status == PUBLISHED) & forced] = SECONDARY
    if secondary is None or not ((status == PRIMARY) | (status == SECONDARY)).any():
        return Decision(status, np.full(n, -1, dtype=np.int64))
    # numpy releases the GIL in its array loops: dimensions, lines and chunks of cells are worked on
    # in threads; results are applied in order, so the outcome does not depend on the threads
    with ThreadPoolExecutor(WORKERS) as pool:
        trees = list(pool.map(functools.partial(encode_dimension, table), secondary.dimensions))
        partition = encode_partition(table, secondary.partition)
        prot = Protector(trees, partition, ~masked, np.asarray(cost, dtype=np.float64))
        suppressed = (status == PRIMARY) | (status == SECONDARY)
        prot.prepare(suppressed, pool)
        protects = np.full(n, -1, dtype=np.int64)  # after ``prepare``: in the memory it freed
        rows = prot.order.rows
        pending = rows[suppressed[rows]].astype(np.int64)  # key order, whatever the row order
        # Cheapest sibling in every dimension first, then other siblings and paths for sparse tables;
        # the cells none of these protects try every rank up to WIDE_RANKS (a sparse line whose
        # cheap cells' corners are masked: Guipavas's IRIS cells in Brest Métropole), after all
        # the usual attempts, so that the cells they protect keep the patterns they had.
        usual = _attempts(prot, SIBLING_RANKS)
        pending = _search(prot, pending, usual, suppressed, protects, pool)
        if len(pending):
            tried = set(usual)
            wide = [c for c in _attempts(prot, WIDE_RANKS) if c not in tried]
            pending = _search(prot, pending, wide, suppressed, protects, pool)
    if len(pending):
        raise DataError(
            f"secrecy: {counted(len(pending), 'sensitive cell')} cannot be protected by any complement in this table "
            f"(first at row {int(pending[0])})",
            hint="publish the margins of the table (totals) or coarser breakdowns; nothing was published",
        )
    status[(status == PUBLISHED) & suppressed] = SECONDARY
    return Decision(status, protects)
