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
from territoria.governance.secrecy.rules import Dimension

Array = np.ndarray


@dataclass
class DimTree:
    column: str
    labels: list[str]
    parent: Array  # int64 per node, -1 = no parent
    nodes: Array  # int64 per cell

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


def encode_dimension(table: pa.Table, dim: Dimension) -> DimTree:
    values = _text(table[dim.column])
    if values.null_count:
        raise DataError(
            f"secrecy: key column {dim.column!r} has {values.null_count} null value(s)",
            hint="every cell of a protected table needs a complete key",
        )
    parents = _text(table[dim.parent]) if dim.parent else None
    pool = values if parents is None else pa.concat_arrays([values, parents.drop_null()])
    labels_arr = pc.unique(pool).sort()
    labels = labels_arr.to_pylist()
    nodes = pc.index_in(values, value_set=labels_arr).to_numpy(zero_copy_only=False).astype(np.int64)
    parent = np.full(len(labels), -1, dtype=np.int64)
    if parents is not None:
        pid = pc.index_in(parents, value_set=labels_arr).to_numpy(zero_copy_only=False)
        has = ~np.isnan(pid.astype(np.float64))
        child, par = nodes[has], pid[has].astype(np.int64)
        par = np.where(par == child, -1, par)
        parent[child] = par
        if (parent[child] != par).any():
            bad = labels[int(child[parent[child] != par][0])]
            raise DataError(
                f"secrecy: value {bad!r} of {dim.column!r} has several parents in {dim.parent!r}",
                hint="a value must nest in exactly one parent (e.g. a commune in one EPCI)",
            )
    elif dim.total is not None and dim.total in labels:
        total = labels.index(dim.total)
        parent[:] = total
        parent[total] = -1
    return DimTree(dim.column, labels, parent, nodes)


def encode_partition(table: pa.Table, columns: list[str]) -> Array:
    if not columns:
        return np.zeros(table.num_rows, dtype=np.int64)
    struct = pa.StructArray.from_arrays([_text(table[c]) for c in columns], names=columns)
    text = pc.binary_join_element_wise(*[pc.fill_null(struct.field(i), "\x00") for i in range(len(columns))], "\x1f")
    uniq = pc.unique(text)
    return np.asarray(pc.index_in(text, value_set=uniq).to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass
class CellIndex:
    """Existing cells by integer key; ``missing`` cells (masked upstream) are left out."""

    strides: Array
    keys: Array  # key of every row
    sorted_keys: Array
    order: Array

    @classmethod
    def build(cls, trees: list[DimTree], partition: Array, present: Array) -> CellIndex:
        sizes = [t.size for t in trees]
        strides = np.ones(len(trees), dtype=np.int64)
        for i in range(len(trees) - 2, -1, -1):
            strides[i] = strides[i + 1] * sizes[i + 1]
        span = int(strides[0]) * sizes[0] if trees else 1
        if span * (int(partition.max(initial=0)) + 1) >= 2**62:
            raise DataError(
                "secrecy: the table has too many key combinations to protect at once",
                hint="split it with `partition:` in the rule set",
            )
        keys = partition * span
        for t, s in zip(trees, strides, strict=True):
            keys = keys + t.nodes * s
        idx = np.flatnonzero(present)
        order = idx[np.argsort(keys[idx], kind="stable")]
        sorted_keys = keys[order]
        if len(sorted_keys) > 1 and (sorted_keys[1:] == sorted_keys[:-1]).any():
            raise DataError(
                "secrecy: several rows share the same key; the table is not a table of cells",
                hint="add the missing breakdown columns to the rule set's dimensions or partition",
            )
        return cls(strides, keys, sorted_keys, order)

    def lookup(self, keys: Array) -> Array:
        """Row index of each key, -1 where no such cell exists."""
        if not len(self.sorted_keys):
            return np.full(keys.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        return np.where(self.sorted_keys[pos] == keys, self.order[pos], -1)
