"""Key columns encoded as nodes of small trees, and cells as integer keys.

Each dimension of a protected table becomes integer node ids with a ``parent`` array (-1 for a
root or a value with no published margin). A cell is the mixed-radix integer of its node ids
(and its partition), so that "the cell at these coordinates" is one ``searchsorted`` away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from territoria.core.errors import DataError
from territoria.core.wording import counted
from territoria.governance.secrecy.rules import Dimension

Array = np.ndarray


@dataclass
class DimTree:
    column: str
    labels: list[str]
    parent: Array  # int64 per node, -1 = no parent
    nodes: Array  # int32 per cell (multiplied by int64 strides, never by a Python int)

    @property
    def size(self) -> int:
        return len(self.labels)

    def depth(self) -> Array:
        depth = np.zeros(self.size, dtype=np.int64)
        node = self.parent.copy()
        while (node >= 0).any():
            depth += node >= 0
            node = np.where(node >= 0, self.parent[np.maximum(node, 0)], -1)
        return depth


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.cast(arr, pa.string())


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[Array, pa.Array]:
    """Each row's index in the column's distinct values (-1 for null), and those values as text.

    One hash pass over the rows, chunk by chunk (no copy of the column); only the (small) set of
    distinct values is cast and sorted."""
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    encoded = pc.dictionary_encode(chunked)
    if not _one_dictionary(encoded):  # Arrow gives every chunk the same dictionary: checked, not assumed
        encoded = pa.table({"x": encoded}).unify_dictionaries()["x"]
    if not encoded.num_chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=pa.string())
    parts = [
        (pc.fill_null(c.indices, -1) if c.null_count else c.indices).to_numpy(zero_copy_only=False)
        for c in encoded.chunks
    ]
    # dictionary indices are int32: kept as they are (one copy, no widening)
    return np.concatenate(parts).astype(np.int32, copy=False), pc.cast(encoded.chunk(0).dictionary, pa.string())


def _one_dictionary(encoded: pa.ChunkedArray) -> bool:
    """Whether every chunk's dictionary is the same array (the same buffers), so that the indices
    of every chunk point into one dictionary: unifying them (a hash pass over each chunk's
    dictionary, all of them the whole dictionary) is then not needed."""
    if not encoded.num_chunks:
        return True
    first = encoded.chunk(0).dictionary
    same = [(b.address, b.size) if b is not None else None for b in first.buffers()]
    for chunk in encoded.chunks[1:]:
        d = chunk.dictionary
        if d.offset != first.offset or len(d) != len(first):
            return False
        if [(b.address, b.size) if b is not None else None for b in d.buffers()] != same:
            return False
    return True


def _value_parents(codes: Array, parent_codes: Array, size: int) -> Array:
    """The parent code of each value code (-1: none), from the rows' (value, parent) codes; a
    DataError names the first row whose value has another parent in another row. Worked on the
    codes (int32, one scatter and one gather over the rows), not on the rows' tree nodes."""
    has = parent_codes >= 0
    target = np.where(has, codes, np.int32(size))  # rows without a parent write to a spare last slot
    slot = np.full(size + 1, -1, dtype=np.int32)
    slot[target] = parent_codes
    clash = slot[target] != parent_codes
    clash &= has
    if clash.any():
        raise _Clash(int(np.argmax(clash)))
    value_parent: Array = slot[:-1]
    return value_parent


class _Clash(Exception):
    def __init__(self, row: int) -> None:
        self.row = row


def encode_dimension(table: pa.Table, dim: Dimension) -> DimTree:
    codes, values = _codes(table[dim.column])
    nulls = int((codes < 0).sum())
    if nulls:
        raise DataError(
            f"secrecy: key column {dim.column!r} has {counted(nulls, 'null value')}",
            hint="every cell of a protected table needs a complete key",
        )
    parent_codes, parents = _codes(table[dim.parent]) if dim.parent else (None, None)
    pool = values if parents is None else pa.concat_arrays([values, parents])
    labels_arr = pc.unique(pool).sort()
    labels = labels_arr.to_pylist()
    node_of = pc.index_in(values, value_set=labels_arr).to_numpy(zero_copy_only=False).astype(np.int32)
    nodes = node_of[codes]  # int32 per cell (a dimension has far fewer than 2**31 values)
    parent = np.full(len(labels), -1, dtype=np.int64)
    if parent_codes is not None and parents is not None:
        parent_of = pc.index_in(parents, value_set=labels_arr).to_numpy(zero_copy_only=False).astype(np.int64)
        # values and parents are distinct in their dictionaries, so two rows of a value name the
        # same parent node exactly when they name the same parent code: checked on the codes
        try:
            value_parent = _value_parents(codes, parent_codes, len(values))
        except _Clash as clash:
            bad = labels[int(nodes[clash.row])]
            raise DataError(
                f"secrecy: value {bad!r} of {dim.column!r} has several parents in {dim.parent!r}",
                hint="a value must nest in exactly one parent (e.g. a commune in one EPCI)",
            ) from None
        node_parent = np.full(len(values), -1, dtype=np.int64)
        has = value_parent >= 0  # (a parent column of nulls only has no parent to look up)
        node_parent[has] = parent_of[value_parent[has]]
        node_parent[node_parent == node_of] = -1  # a value that is its own parent
        parent[node_of] = node_parent
    elif dim.total is not None and dim.total in labels:
        total = labels.index(dim.total)
        parent[:] = total
        parent[total] = -1
    return DimTree(dim.column, labels, parent, nodes)


def encode_partition(table: pa.Table, columns: list[str]) -> Array:
    if not columns:  # one partition: zeros that take no memory (read-only; nobody writes them)
        return np.broadcast_to(np.int64(0), (table.num_rows,))
    struct = pa.StructArray.from_arrays([_text(table[c]) for c in columns], names=columns)
    text = pc.binary_join_element_wise(*[pc.fill_null(struct.field(i), "\x00") for i in range(len(columns))], "\x1f")
    uniq = pc.unique(text).sort()  # sorted: the cell keys do not depend on the row order
    return np.asarray(pc.index_in(text, value_set=uniq).to_numpy(zero_copy_only=False), dtype=np.int64)


#: a key space of at most DENSE_MIN keys, or this many times the number of keys, is looked up in
#: a direct table (one gather) instead of by binary search (a cache miss per probe and step)
DENSE_SLACK = 4
DENSE_MIN = 2**24
#: ... unless the keys are this few: their sorted array stays in the cache, and a table of the
#: whole space would be tens of MB of fresh memory for a few hundred keys (the national table's
#: commune lines: 201 parents, a key space of 7 M)
SEARCHED_MAX = 2**12


@dataclass
class KeyMap:
    """Unique non-negative integer keys to values; ``get`` answers -1 for an absent key or key -1."""

    dense: Array | None  # value of every key of the space, then -1 (read by key -1)
    sorted_keys: Array
    values: Array

    @classmethod
    def build(cls, keys: Array, values: Array, space: int) -> KeyMap:
        if space <= DENSE_SLACK * len(keys) or (len(keys) > SEARCHED_MAX and space <= DENSE_MIN):
            dtype = np.int32 if len(keys) < 2**31 and values.max(initial=0) < 2**31 else np.int64
            dense = np.full(space + 1, -1, dtype=dtype)
            dense[keys] = values
            # empty arrays of their own: views (keys[:0]) would keep the whole inputs alive
            return cls(dense, np.zeros(0, dtype=keys.dtype), np.zeros(0, dtype=values.dtype))
        order = np.argsort(keys, kind="stable")
        return cls(None, keys[order], values[order])

    def get(self, keys: Array) -> Array:
        if self.dense is not None:
            found: Array = self.dense[keys]
            return found
        if not len(self.sorted_keys):
            return np.full(keys.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        return np.where(self.sorted_keys[pos] == keys, self.values[pos], -1)

    def in_key_order(self) -> Array:
        """The values, by increasing key."""
        if self.dense is not None:
            table = self.dense[:-1]
            ordered: Array = table[table >= 0]
            return ordered
        return self.values

    def items_in_key_order(self) -> tuple[Array, Array]:
        """(keys, values), by increasing key."""
        if self.dense is not None:
            keys = np.flatnonzero(self.dense[:-1] >= 0)
            return keys, self.dense[keys]
        return self.sorted_keys, self.values

    def has_duplicates(self, keys: Array, values: Array) -> bool:
        """Whether ``build`` was given a key twice (``values`` distinct and non-negative)."""
        if self.dense is not None:
            # a repeated key fills one slot for two keys: a count over the table read in order,
            # instead of a gather of every key's slot (a cache miss each on a large table)
            return int(np.count_nonzero(self.dense[:-1] >= 0)) != len(keys)
        return bool(len(self.sorted_keys) > 1 and (self.sorted_keys[1:] == self.sorted_keys[:-1]).any())


@dataclass
class CellIndex:
    """Existing cells by integer key; ``missing`` cells (masked upstream) are left out."""

    strides: Array
    keys: Array  # key of every row
    space: int  # keys are in [0, space)
    rows: KeyMap

    @classmethod
    def build(cls, trees: list[DimTree], partition: Array, present: Array) -> CellIndex:
        sizes = [t.size for t in trees]
        strides = np.ones(len(trees), dtype=np.int64)
        for i in range(len(trees) - 2, -1, -1):
            strides[i] = strides[i + 1] * sizes[i + 1]
        span = int(strides[0]) * sizes[0] if trees else 1
        space = span * (int(partition.max(initial=0)) + 1)
        if space >= 2**62:
            raise DataError(
                "secrecy: the table has too many key combinations to protect at once",
                hint="split it with `partition:` in the rule set",
            )
        # Horner's scheme, in place: ((partition * size0 + node0) * size1 + node1)... is the
        # mixed-radix key, and needs no buffer besides the keys (fresh memory is what costs here:
        # every page of a new array is a page fault)
        keys = np.array(partition, dtype=np.int64)
        for t in trees:
            keys *= t.size
            keys += t.nodes
        idx = np.flatnonzero(present)
        present_keys = keys[idx]
        rows = KeyMap.build(present_keys, idx, space)
        if rows.has_duplicates(present_keys, idx):
            raise DataError(
                "secrecy: several rows share the same key; the table is not a table of cells",
                hint="add the missing breakdown columns to the rule set's dimensions or partition",
            )
        return cls(strides, keys, space, rows)

    def lookup(self, keys: Array) -> Array:
        """Row index of each key, -1 where no such cell exists."""
        return self.rows.get(keys)
