"""Secrecy as one plan over every published table that shares cells.

Two tables that publish the same cell (the commune x sector electricity cells of the energy cube and
of the IRIS table re-aggregated to communes) cannot be protected one at a time: a cell one
suppresses and the other publishes is disclosed, and the margins of one can pin what the other
hides. A rule set declares the cells it shares (``shares:`` in ``secrecy.yaml``: the two datasets,
the other's rule set, how this table's key columns name the other's cells, and which rows of each
are shared). The tables of a group are then decided together:

1. each table's primary cells are protected by its own secondary suppression;
2. every cell suppressed in one table is forced suppressed in the other tables that publish it,
   whose secondary suppression then protects it against their own margins;
3. repeat until no table adds a suppression (the suppressed set only grows: this ends).

Each member of a group is published by its own step, and each step gets the same decisions
(members in name order, cells in key order): one set of decisions, whichever step comes first.
The plan makes every member's publish step read every other member (``shared_datasets``). The
decisions are computed once per content of the group (``GROUP_PLANS``): the first step of a run
computes them, the others of the same process reuse them when every member's cells, rules and
links are byte for byte the same.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from territoria.engines.base import Engine, quote_ident
from territoria.governance.secrecy.primary import checked_rules, flags_sql, relation_columns
from territoria.governance.secrecy.rules import RuleSet, Share
from territoria.governance.secrecy.secondary import PRIMARY, PUBLISHED, SECONDARY, Decision, protect_cells
from territoria.workspace.policies import Policies as WorkspacePolicies

Array = np.ndarray
#: a workspace's policies, typed or as the mapping ``Workspace.policies()`` returns
Policies = WorkspacePolicies | Mapping[str, Any]


@dataclass
class Member:
    """One table of a group: its cells as the guard reads them (one row per cell)."""

    dataset: str
    ruleset: RuleSet
    relation: str
    row_id: str
    flags: pa.Table
    fails: list[Array]
    primary: Array
    masked: Array
    cost: Array

    def decide(self, forced: Array | None = None) -> Decision:
        return protect_cells(self.flags, self.ruleset.secondary, self.primary, self.masked, self.cost, forced)


def read_member(engine: Engine, dataset: str, ruleset: RuleSet, relation: str, row_id: str) -> Member:
    has_secret = "secret" in relation_columns(engine, relation)
    flags = engine.fetch_arrow(flags_sql(ruleset, relation, has_secret, row_id))
    fails = [flags[f"_rule{i}"].to_numpy(zero_copy_only=False).astype(bool) for i in range(len(checked_rules(ruleset)))]
    primary = np.logical_or.reduce(fails) if fails else np.zeros(flags.num_rows, dtype=bool)
    masked = flags["_masked"].to_numpy(zero_copy_only=False).astype(bool)
    cost = flags["_cost"].to_numpy(zero_copy_only=False)
    if np.isnan(cost).any():
        cost = np.nan_to_num(cost, nan=1.0)
    return Member(dataset, ruleset, relation, row_id, flags, fails, primary, masked, cost)


def _positions(rows: Array, ids: Array) -> Array:
    """Index in ``rows`` (row ids of a member's flags) of each of ``ids``."""
    order = np.argsort(rows, kind="stable")
    found: Array = order[np.searchsorted(rows[order], ids)]
    return found


@dataclass
class Link:
    """The cells two members both publish: positions in ``a`` and in ``b``, and which of them are
    lower bounds in ``b`` (suppressed there, and not tied to ``a``'s cell) or in ``a`` only
    (``bound_a``: suppressed in ``a`` when ``b``'s cell is complete, not tied either)."""

    a: int
    b: int
    rows_a: Array
    rows_b: Array
    bound: Array
    bound_a: Array | None = None

    @property
    def same(self) -> Array:
        """The pairs that are one quantity: neither cell a lower bound."""
        same: Array = ~self.bound if self.bound_a is None else ~(self.bound | self.bound_a)
        return same


def link_rows(engine: Engine, share: Share, a: Member, b: Member) -> tuple[Array, Array, Array, Array]:
    """Positions, in ``a`` and in ``b``, of the cells both publish (matched on their keys as text),
    and whether ``b``'s cell is a lower bound (``other_lower_bound``), and ``a``'s (``lower_bound``)."""
    ka = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS _k{i}" for i, c in enumerate(share.keys))
    kb = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS _k{i}" for i, c in enumerate(share.keys.values()))
    on = " AND ".join(f"x._k{i} = y._k{i}" for i in range(len(share.keys)))
    pairs = engine.fetch_arrow(
        f"SELECT x._row AS a, y._row AS b, y._bound, x._bound AS _bound_a FROM (SELECT {a.row_id} AS _row, {ka}, "
        f"coalesce({share.lower_bound or 'false'}, false) AS _bound FROM {a.relation} "
        f"WHERE {share.where or 'true'}) x JOIN (SELECT {b.row_id} AS _row, {kb}, "
        f"coalesce({share.other_lower_bound or 'false'}, false) AS _bound FROM {b.relation} "
        f"WHERE {share.other_where or 'true'}) y ON {on} ORDER BY x._row, y._row"
    )
    rows_a = a.flags["_row"].to_numpy()
    rows_b = b.flags["_row"].to_numpy()
    bound = pairs["_bound"].to_numpy(zero_copy_only=False).astype(bool)
    bound_a = pairs["_bound_a"].to_numpy(zero_copy_only=False).astype(bool)
    return _positions(rows_a, pairs["a"].to_numpy()), _positions(rows_b, pairs["b"].to_numpy()), bound, bound_a


def _hidden(decision: Decision) -> Array:
    mask: Array = (decision.status == PRIMARY) | (decision.status == SECONDARY)
    return mask


def joint_decisions(members: list[Member], links: list[Link], extra: list[Array] | None = None) -> list[Decision]:
    """One decision per member such that a cell suppressed by one member is suppressed (or masked
    upstream) in every member that publishes it, each member protecting its own suppressions;
    a lower bound of a cell another member publishes complete is suppressed from the start (in
    whichever member it is: its difference with the complete cell is what was masked), and so are
    the ``extra`` cells of each member (complements of the protection loop)."""
    forced = [
        np.zeros(m.flags.num_rows, dtype=bool) if extra is None else extra[i].copy() for i, m in enumerate(members)
    ]
    for link in links:
        forced[link.b][link.rows_b[link.bound]] = True
        if link.bound_a is not None:
            forced[link.a][link.rows_a[link.bound_a & ~link.bound]] = True
    decisions: list[Decision | None] = [None] * len(members)
    dirty = set(range(len(members)))
    while dirty:
        i = min(dirty)  # members in a fixed order: the outcome does not depend on who asks
        dirty.discard(i)
        decision = members[i].decide(forced[i])
        decisions[i] = decision
        hidden = _hidden(decision)
        for link in links:
            if i not in (link.a, link.b):
                continue
            same = link.same  # a lower bound is another quantity: hiding it hides nothing of the other's
            rows_a, rows_b = link.rows_a[same], link.rows_b[same]
            j, mine, theirs = (link.b, rows_a, rows_b) if i == link.a else (link.a, rows_b, rows_a)
            want = theirs[hidden[mine]]
            other = decisions[j]
            open_there = want[other.status[want] == PUBLISHED] if other is not None else want[~forced[j][want]]
            if len(open_there):
                forced[j][open_there] = True
                dirty.add(j)
            if other is None:
                continue
            # A new decision is a new pattern: a cell the other member hides because this one hid it
            # before may be published now. It stays hidden here.
            back = mine[_hidden(other)[theirs] & (decision.status[mine] == PUBLISHED)]
            if len(back):
                forced[i][back] = True
                dirty.add(i)
    return [d for d in decisions if d is not None]


def _column_digest(h: Any, column: pa.ChunkedArray) -> None:
    """Feed ``h`` with a column's values, the same whatever the column's chunks, offsets or the
    bytes a null slot happens to hold (DuckDB leaves them unset: two reads of one table differ
    there, and a digest of the raw buffers missed the plan of the group's other publish step)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    h.update(f"{arr.type}:{len(arr)}:{arr.null_count}".encode())
    if arr.null_count:
        h.update(np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool).tobytes())
        arr = arr.fill_null(_ZERO.get(str(arr.type), pa.scalar(0).cast(arr.type)))
    if pa.types.is_string(arr.type) or pa.types.is_binary(arr.type):
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=4 * arr.offset)
        data = arr.buffers()[2]
        h.update((offsets - offsets[0]).tobytes())
        if data is not None:
            h.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        return
    h.update(np.ascontiguousarray(arr.to_numpy(zero_copy_only=False)).tobytes())


_ZERO = {"string": pa.scalar(""), "binary": pa.scalar(b""), "bool": pa.scalar(False)}


def cell_keys(ruleset: RuleSet) -> list[str]:
    """The columns naming a cell of a rule set with margins: its partition, then its dimensions."""
    if ruleset.secondary is None:
        return []
    return list(dict.fromkeys([*ruleset.secondary.partition, *(d.column for d in ruleset.secondary.dimensions)]))


def cell_order(member: Member) -> Array:
    """The positions of ``member``'s rows in key order (ties, which a table with one row per cell
    has none of, broken by the other columns but the row id): the same cells read in any order,
    or from a table built again (other row ids), come out in the same order."""
    keys = cell_keys(member.ruleset)
    rest = [c for c in member.flags.column_names if c != "_row" and c not in keys]
    return key_order(member.flags, keys, rest)


def key_order(table: pa.Table, keys: list[str], rest: list[str], rows: Array | None = None) -> Array:
    """The positions of ``table``'s rows (or of ``rows``, positions in it) sorted on ``keys``, then
    on ``rest``, then by position: Arrow's order. One integer sort over the keys' ranks (half the
    CPU of Arrow's sort on the string columns: 0.48 s against 1.13 s for 1.5 M cells of four
    keys), and Arrow's sort on every column only when rows share their keys (or a key is NaN),
    which cells never do. Serves ``cell_order`` and the suppression report's numbering."""
    picked = np.arange(table.num_rows) if rows is None else rows
    if not len(picked) or not (keys or rest):
        return picked

    def cells(columns: list[str]) -> pa.Table:
        chosen = table.select(columns)
        return chosen if rows is None else chosen.take(pa.array(rows))

    if keys:
        key_cells = cells(keys)
        ranks = [_ranks(key_cells[k]) for k in keys]
        order: Array = np.lexsort(ranks[::-1])
        if not rest or not _ties(ranks, order):
            ordered: Array = picked[order]
            return ordered
    every = [*keys, *rest]
    order = pc.sort_indices(cells(every), sort_keys=[(c, "ascending") for c in every]).to_numpy()
    ordered = picked[order]
    return ordered


def _ties(ranks: list[Array], order: Array) -> bool:
    """Whether two neighbours in ``order`` have the same ranks (NaN, equal to nothing, counts as a tie)."""
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for rank in ranks:
        ranked = rank[order]
        same &= ~((ranked[1:] < ranked[:-1]) | (ranked[1:] > ranked[:-1]))
    return bool(same.any())


def _ranks(column: pa.ChunkedArray) -> Array:
    """Each value's rank among the column's distinct values (nulls last), as integers."""
    values = column.combine_chunks()
    if (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)) and not values.null_count:
        plain: Array = values.to_numpy(zero_copy_only=False)
        return plain
    coded = pc.dictionary_encode(values)
    rank = pc.rank(coded.dictionary, sort_keys="ascending", tiebreaker="dense").to_numpy() - 1
    if not len(rank):  # every value null
        return np.zeros(len(values), dtype=np.int64)
    index = coded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    ranks: Array = np.where(index < 0, len(rank), rank[np.maximum(index, 0)])
    return ranks


def content_digest(members: list[Member], orders: list[Array] | None = None) -> str:
    """A hash of what a group's decisions are taken on, whatever the order its rows were read in
    (two steps reading one table may get its rows in another order, and the row ids of a table
    built again differ): each member's rule set (its ``shares`` included) and cells in key order
    (``orders``: each member's ``cell_order``, when the caller has them)."""
    h = hashlib.blake2b(digest_size=32)
    for i, m in enumerate(members):
        h.update(m.dataset.encode() + b"\x00" + m.ruleset.model_dump_json().encode() + b"\x00")
        order = cell_order(m) if orders is None else orders[i]
        cells = m.flags.drop_columns(["_row"]).take(pa.array(order))
        for name in cells.column_names:
            h.update(name.encode() + b"\x00")
            _column_digest(h, cells[name])
    return h.hexdigest()


def _plan_digest(members: list[Member], links: list[Link], orders: list[Array], content: str | None = None) -> str:
    """A hash of everything a group's decisions depend on, in the members' cell order: each
    member's rule set and cells (``content_digest``; ``content`` when the caller has it), the
    arrays its decisions are taken from, and the links between members as pairs of cell numbers
    (in pair order)."""
    h = hashlib.blake2b(digest_size=32)
    h.update((content_digest(members, orders) if content is None else content).encode())
    ranks = [_inverse(o) for o in orders]
    for m, o in zip(members, orders, strict=True):
        for arr in (m.primary, m.masked, m.cost, *m.fails):
            h.update(np.ascontiguousarray(np.asarray(arr)[o]).tobytes() + b"|")
    for link in links:
        a, b = ranks[link.a][link.rows_a], ranks[link.b][link.rows_b]
        pairs = np.lexsort((b, a))
        h.update(f"{link.a}:{link.b}".encode())
        bound_a = link.bound_a if link.bound_a is not None else np.zeros(len(a), dtype=bool)
        for arr in (a, b, link.bound, bound_a):
            h.update(np.ascontiguousarray(np.asarray(arr)[pairs]).tobytes() + b"|")
    return h.hexdigest()


def _inverse(order: Array) -> Array:
    """rank[position] = the position's number in ``order``."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _canonical(decision: Decision, order: Array) -> Decision:
    """A decision with its cells in key order (``protects`` refers to cell numbers)."""
    protects = decision.protects[order]
    rank = _inverse(order)
    return Decision(decision.status[order].copy(), np.where(protects >= 0, rank[np.maximum(protects, 0)], -1))


def _in_rows(decision: Decision, order: Array) -> Decision:
    """A canonical decision back in the member's row order (``_canonical`` undone)."""
    status = np.empty_like(decision.status)
    status[order] = decision.status
    protects = np.empty_like(decision.protects)
    protects[order] = np.where(decision.protects >= 0, order[np.maximum(decision.protects, 0)], -1)
    return Decision(status, protects)


Plan = tuple[list[Decision], dict[str, Any] | None]


class GroupPlans:
    """The last few groups' decisions by content hash (a run publishes each group's members one
    step after the other: the second step finds the first one's decisions)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        members: list[Member],
        links: list[Link],
        compute: Callable[[], Plan],
        memory: list[Array | None] | None = None,
        orders: list[Array] | None = None,
        content: str | None = None,
    ) -> Plan:
        """The plan of the group's content; one computed before is reused only when it hides every
        cell ``memory`` remembers (the second member's step of a run reads the first member's new
        report, which the first step's plan hides: the same plan; a plan of an older run may show
        a cell a later publication hid, and is computed again).

        Plans are kept by content, cells in key order (``cell_order``, or ``orders`` when the caller
        has them; ``content``: their ``content_digest``, which the guard has already taken for the
        memory): a member whose rows are read in another order (a parallel scan, a table built
        again) finds the plan, and gets it in its own row order."""
        orders = [cell_order(m) for m in members] if orders is None else orders
        key = _plan_digest(members, links, orders, content)
        with self._lock:
            found = self._plans.get(key)
            if found is not None:
                self._plans.move_to_end(key)
        if found is not None:
            decisions = [_in_rows(d, o) for d, o in zip(found[0], orders, strict=True)]
            if _hides(decisions, memory):
                # the report says the plan was computed by another member's publish step
                return decisions, None if found[1] is None else {**found[1], "reused": True}
        plan = compute()
        kept = ([_canonical(d, o) for d, o in zip(plan[0], orders, strict=True)], plan[1])
        with self._lock:
            self._plans[key] = kept
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan

    def clear(self) -> None:
        """Forget every plan: the next publication of each group decides afresh (a benchmark's
        full refresh measures the decisions, not a lookup of the last run's)."""
        with self._lock:
            self._plans.clear()


def _hides(decisions: list[Decision], memory: list[Array | None] | None) -> bool:
    return memory is None or all(m is None or bool(_hidden(d)[m].all()) for d, m in zip(decisions, memory, strict=True))


GROUP_PLANS = GroupPlans()
