"""The audit across publications: what the current publication of a table and the one before it
determine together (an outsider who kept the earlier one has the equations of both).

The previous publication is the dataset's previous suppression report in the ledger (the one a
new publication replaced, or the one ``territoria secrecy forget`` set aside). The ledger keeps
which cells it hid, not its values: a cell is taken as unchanged between the two (the outsider's
best case, and what the memory assumes too), so a cell one hides and the other shows is
determined, and a cell both hide is one unknown. A revised cell may therefore be reported
determined when its old value tells nothing of the new one.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from territoria.engines.base import Engine
from territoria.governance.secrecy.adversary.recovery import Key, recovered
from territoria.governance.secrecy.rules import RuleSet
from territoria.ledger import PRIMARY_KINDS, cell_kind, previous_cells, previous_report, suppressed_cells

#: determined cells listed per table and publication (the counts are complete)
EXAMPLES = 10


@dataclass
class AcrossReport:
    """One table's two publications checked together."""

    dataset: str
    previous_at: Any
    hidden_before: int
    hidden_now: int
    #: publication ("previous" or "current") -> status -> cells determined
    determined: dict[str, dict[str, int]] = field(default_factory=dict)
    #: a few determined cells, primary ones first: (publication, status, key), no values
    examples: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def primary(self) -> int:
        return sum(n for by in self.determined.values() for kind, n in by.items() if kind in PRIMARY_KINDS)

    @property
    def secondary(self) -> int:
        return sum(n for by in self.determined.values() for kind, n in by.items() if kind not in PRIMARY_KINDS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "previous_at": str(self.previous_at),
            "hidden_before": self.hidden_before,
            "hidden_now": self.hidden_now,
            "determined": self.determined,
            "primary_determined": self.primary,
            "secondary_determined": self.secondary,
            "examples": [{"publication": p, "status": s, "cell": c} for p, s, c in self.examples],
        }


def parents_of(rows: pa.Table, ruleset: RuleSet, keys: list[str]) -> list[Mapping[Hashable, Hashable | None]]:
    """For each key column, each value's parent: from the dimension's parent column, or every
    value but the total under the total; none for a partition or a dimension without margins."""
    dims = {d.column: d for d in (ruleset.secondary.dimensions if ruleset.secondary else [])}
    out: list[Mapping[Hashable, Hashable | None]] = []
    for k in keys:
        d = dims.get(k)
        if d is None or (d.parent is None and d.total is None):
            out.append({})
        elif d.parent is not None:
            out.append(dict(zip(rows[k].to_pylist(), rows[d.parent].to_pylist(), strict=True)))
        else:
            out.append({v: (None if v == d.total else d.total) for v in rows[k].to_pylist()})
    return out


def across_publications(
    engine: Engine, dataset: str, rows: pa.Table, ruleset: RuleSet, keys: list[str]
) -> AcrossReport | None:
    """``dataset``'s current publication (``rows``, keyed by ``keys``) against its previous one;
    None when the ledger has no previous report for it."""
    found = previous_report(engine, dataset)
    before = previous_cells(engine, dataset)
    if found is None or not before:
        return None
    now = suppressed_cells(engine, dataset)
    # a remembered cell by what it was when first hidden: one hidden as primary is no less secret
    status = [{_key(c["cell"], keys): cell_kind(c) for c in cells} for cells in (before, now)]
    reported = set(status[1])
    secret = rows["secret"].to_pylist() if "secret" in rows.column_names else [False] * rows.num_rows
    columns = [rows[k].to_pylist() for k in keys]
    # a secret cell the report does not list was masked upstream: never computed, in no equation
    cells = [k for k, s in zip(zip(*columns, strict=True), secret, strict=True) if not s or k in reported]
    present = set(cells)
    hidden = [{k for k in s if k in present} for s in status]
    determined = recovered(cells, parents_of(rows, ruleset, keys), hidden)
    report = AcrossReport(dataset, found[1], len(hidden[0]), len(hidden[1]))
    found_cells = []
    for name, got, by in zip(("previous", "current"), determined, status, strict=True):
        counts: dict[str, int] = {}
        for k in sorted(got, key=repr):
            counts[by[k]] = counts.get(by[k], 0) + 1
            found_cells.append((by[k] not in PRIMARY_KINDS, name, by[k], dict(zip(keys, k, strict=True))))
        report.determined[name] = dict(sorted(counts.items()))
    found_cells.sort(key=lambda f: f[0])  # primary cells first (stable: previous, then current)
    report.examples = [(name, st, cell) for _, name, st, cell in found_cells[:EXAMPLES]]
    return report


def _key(cell: Mapping[str, Any], keys: list[str]) -> Key:
    return tuple(cell.get(k) for k in keys)


__all__ = ["EXAMPLES", "AcrossReport", "across_publications", "parents_of"]
