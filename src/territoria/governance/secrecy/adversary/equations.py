"""The additive equations an outsider reads off published tables: every margin cell equals the
sum of its children along each dimension, for every measure.

Cells are variables numbered per (shared cell key, measure): a cell two tables publish is one
variable, so a value one table suppresses and another publishes (or that the two tables constrain
differently) is seen the way an outsider holding both tables sees it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from territoria.governance.secrecy.adversary.model import Key, PublishedTable


@dataclass
class Variable:
    key: dict[str, Any]
    measure: str
    low: float | None = None  # published interval; None while nobody published the cell
    high: float | None = None
    step: float = 0.0
    tables: list[str] = field(default_factory=list)  # tables that suppress it
    status: str | None = None
    truth: float | None = None
    protection: float = 0.10
    nonnegative: bool = True

    @property
    def known(self) -> bool:
        return self.low is not None


@dataclass
class System:
    variables: list[Variable] = field(default_factory=list)
    #: per measure: (parent variable, child variables) of every published additive line
    equations: dict[str, list[tuple[int, list[int]]]] = field(default_factory=lambda: defaultdict(list))
    ids: dict[tuple[Key, str], int] = field(default_factory=dict)
    conflicts: int = 0

    def variable(self, shared: Key, key: dict[str, Any], measure: str) -> int:
        slot = (shared, measure)
        if slot not in self.ids:
            self.ids[slot] = len(self.variables)
            self.variables.append(Variable(key, measure))
        return self.ids[slot]

    def publish(self, var: int, low: float, high: float, step: float) -> None:
        """A published value: the intersection with what another table published for the cell."""
        v = self.variables[var]
        if v.low is None or v.high is None:
            v.low, v.high, v.step = low, high, step
            return
        lo, hi = max(v.low, low), min(v.high, high)
        if lo > hi:
            self.conflicts += 1  # two tables disagree on the cell: the first one is kept
            return
        v.low, v.high, v.step = lo, hi, max(v.step, step)


def _column(table: pa.Table, name: str | None) -> list[Any]:
    if name is None or name not in table.column_names:
        return [None] * table.num_rows
    return list(table[name].to_pylist())


def _lines(table: PublishedTable, keys: list[Key]) -> list[tuple[int, list[int]]]:
    """(parent row, child rows) of every line of the table, along each dimension with margins."""
    index = {k: i for i, k in enumerate(keys)}
    offset = len(table.partition)
    lines: dict[tuple[int, Key], list[int]] = defaultdict(list)
    for d, dim in enumerate(table.dimensions):
        pos = offset + d
        parents = _column(table.rows, dim.parent)
        for i, k in enumerate(keys):
            value = k[pos]
            parent = parents[i] if dim.parent else (dim.total if dim.total is not None else None)
            if parent is None or parent == value:
                continue
            lines[(pos, (*k[:pos], parent, *k[pos + 1 :]))].append(i)
    return [(index[pk], kids) for (_, pk), kids in lines.items() if pk in index]


def _truth(table: PublishedTable) -> dict[Key, dict[str, Any]]:
    if table.truth is None:
        return {}
    cols = table.key_columns
    rows = table.truth.select([*cols, *table.measures]).to_pylist()
    return {tuple(r[c] for c in cols): r for r in rows}


def _shared_keys(table: PublishedTable, keys: list[Key]) -> tuple[list[Key], list[dict[str, Any]]]:
    """Each row's key in the shared cell space (sorted (column, value) pairs) and as a dict."""
    cols = table.key_columns
    mapping = dict(table.link.columns) if table.link.columns is not None else {c: c for c in cols}
    private = _column(table.rows, table.link.private_when)
    shared: list[Key] = []
    named: list[dict[str, Any]] = []
    for k, own in zip(keys, private, strict=True):
        by_col = dict(zip(cols, k, strict=True))
        cell = {s: by_col[c] for s, c in mapping.items()}
        cell.update(table.link.constants)
        pairs = tuple(sorted(cell.items()))
        shared.append((("\x00table", table.name), *pairs) if own else pairs)
        named.append(cell)
    return shared, named


def add_table(system: System, table: PublishedTable) -> None:
    cols = table.key_columns
    key_values = [_column(table.rows, c) for c in cols]
    keys: list[Key] = list(zip(*key_values, strict=True)) if cols else [()] * table.rows.num_rows
    shared, named = _shared_keys(table, keys)
    secret = [bool(s) for s in _column(table.rows, "secret")]
    masked = [bool(m) for m in _column(table.rows, table.masked)]
    truth = _truth(table)
    lines = _lines(table, keys)
    for measure in table.measures:
        step = table.rounding_of(measure)
        values = _column(table.rows, measure)
        var: list[int] = []
        for i, k in enumerate(keys):
            if masked[i] or (values[i] is None and not secret[i]):
                var.append(-1)  # out of every equation: the margins leave it out
                continue
            v = system.variable(shared[i], named[i], measure)
            var.append(v)
            cell = system.variables[v]
            if not secret[i]:
                system.publish(v, float(values[i]) - step / 2, float(values[i]) + step / 2, step)
                continue
            cell.tables.append(table.name)
            if not cell.known:
                cell.step = step  # pinned to the published precision is as good as published
            cell.protection, cell.nonnegative = table.protection, table.nonnegative
            cell.status = cell.status or (table.status or {}).get(k)
            true = truth.get(k, {}).get(measure)
            if cell.truth is None and true is not None:
                cell.truth = float(true)
        for parent, kids in lines:
            if var[parent] >= 0:
                system.equations[measure].append((var[parent], [var[c] for c in kids if var[c] >= 0]))


def build_system(tables: list[PublishedTable]) -> System:
    system = System()
    for table in tables:
        add_table(system, table)
    return system
