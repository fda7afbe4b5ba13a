"""What the adversary is given (published tables and how they share cells) and what it reports."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from territoria.governance.secrecy.rules import Dimension, RuleSet
from territoria.ledger import PRIMARY_KINDS

Key = tuple[Any, ...]
Verdict = Literal["disclosed", "exposed", "weak", "protected", "empty"]
#: verdicts that count as a breach: the cell is pinned inside its protection range
BREACHES: tuple[Verdict, ...] = ("disclosed", "exposed")
DEFAULT_PROTECTION = 0.10
MAX_DECIMALS = 6


@dataclass(frozen=True)
class CellLink:
    """How a table's cells map onto the cell key shared with other tables.

    ``columns``: shared column -> the table's column (default: the dimension columns, same names);
    ``constants``: shared columns the table does not have, with the value all its cells take
    (``energy: electricite`` for an electricity-only table); ``private_when``: a boolean column
    whose true rows keep a cell of their own (a re-aggregated lower bound is not the same quantity
    as the complete cell of another table).
    """

    columns: Mapping[str, str] | None = None
    constants: Mapping[str, Any] = field(default_factory=dict)
    private_when: str | None = None


@dataclass(frozen=True)
class PublishedTable:
    """One published table as the adversary sees it, plus what only the auditor knows.

    ``rows``: the published rows (suppressed cells have their measures null and ``secret`` true);
    ``masked``: a boolean column of cells masked upstream, which are in no equation (nobody knows
    them and the margins leave them out); ``truth``: the unprotected rows (same key columns and
    measures), to compare the intervals with; ``status``: table key -> primary / secondary;
    ``rounding``: measure -> rounding step (default: inferred from the published values).
    """

    name: str
    rows: pa.Table
    dimensions: Sequence[Dimension]
    measures: Sequence[str]
    partition: Sequence[str] = ()
    masked: str | None = None
    truth: pa.Table | None = None
    status: Mapping[Key, str] | None = None
    rounding: Mapping[str, float] | None = None
    protection: float = DEFAULT_PROTECTION
    nonnegative: bool = True
    link: CellLink = field(default_factory=CellLink)

    @property
    def key_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.partition, *(d.column for d in self.dimensions)]))

    @classmethod
    def from_ruleset(cls, name: str, rows: pa.Table, ruleset: RuleSet, **extra: Any) -> PublishedTable:
        """The dimensions, measures, masked-input column and protection range of a rule set."""
        if ruleset.secondary is None:
            raise ValueError(f"rule set {ruleset.name!r} declares no additive structure (no `secondary:`)")
        masked = next((r.column for r in ruleset.rules if r.kind == "masked_input"), None)
        return cls(
            name=name,
            rows=rows,
            dimensions=list(ruleset.secondary.dimensions),
            measures=list(ruleset.measures),
            partition=list(ruleset.secondary.partition),
            masked=masked if masked in rows.column_names else None,
            protection=ruleset.protection if ruleset.protection is not None else DEFAULT_PROTECTION,
            **extra,
        )

    def rounding_of(self, measure: str) -> float:
        if self.rounding and measure in self.rounding:
            return float(self.rounding[measure])
        return inferred_rounding(self.rows[measure])


def inferred_rounding(column: pa.ChunkedArray | pa.Array) -> float:
    """The rounding step an outsider reads off published values: 0 for integers (exact counts),
    else 10^-d for the fewest decimals d that every value has (0 when there are more than 6)."""
    if pa.types.is_integer(column.type):
        return 0.0
    values = pc.drop_null(column).to_numpy(zero_copy_only=False).astype(np.float64)
    if not len(values):
        return 0.0
    for decimals in range(MAX_DECIMALS + 1):
        scaled = values * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return float(10.0**-decimals)
    return 0.0


@dataclass(frozen=True)
class CellFinding:
    """One suppressed cell and the interval an outsider can prove it lies in."""

    tables: tuple[str, ...]
    key: dict[str, Any]
    measure: str
    status: str | None
    true_value: float | None
    low: float
    high: float  # math.inf when nothing bounds it above
    verdict: Verdict
    exact: bool = True  # False: a sub-interval of the exact one (already wide enough to protect)

    @property
    def share(self) -> float | None:
        """Width of the interval as a share of the value (true value, else the interval's middle)."""
        ref = self.true_value if self.true_value is not None else (self.low + self.high) / 2
        if not ref or math.isinf(self.high):
            return None if not ref else math.inf
        return (self.high - self.low) / abs(ref)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": list(self.tables),
            "key": self.key,
            "measure": self.measure,
            "status": self.status,
            "true_value": self.true_value,
            "low": self.low,
            "high": None if math.isinf(self.high) else self.high,
            "share": None if self.share is None or math.isinf(self.share) else self.share,
            "verdict": self.verdict,
            "exact": self.exact,
        }


def verdict(value: float | None, low: float, high: float, step: float, protection: float) -> Verdict:
    """``disclosed``: known to the published precision; ``exposed``: pinned inside ±protection on
    both sides; ``weak``: on one side only; ``protected``: the range is covered on both sides."""
    ref = value if value is not None else (low + high) / 2
    if value is not None and value == 0:
        return "empty"
    if high - low <= step + 1e-9 * max(1.0, abs(ref)):
        return "disclosed"
    below = low > ref * (1 - protection) + 1e-12
    above = high < ref * (1 + protection) - 1e-12
    if below and above:
        return "exposed"
    return "weak" if below or above else "protected"


@dataclass
class AuditReport:
    """The intervals of every suppressed cell of one audit (one table or a union of tables)."""

    scope: str
    tables: tuple[str, ...]
    cells: list[CellFinding]
    seconds: float
    components: int
    programs: int
    conflicts: int = 0

    def count(self, *verdicts: Verdict) -> int:
        return sum(c.verdict in verdicts for c in self.cells)

    @property
    def suppressed(self) -> int:
        return sum(c.verdict != "empty" for c in self.cells)

    @property
    def exposed(self) -> int:
        return self.count(*BREACHES)

    @property
    def disclosed_primary(self) -> list[CellFinding]:
        return [c for c in self.cells if c.verdict == "disclosed" and c.status in PRIMARY_KINDS]

    @property
    def narrowest(self) -> CellFinding | None:
        ranked = [c for c in self.cells if c.verdict != "empty" and c.share is not None]
        return min(ranked, key=lambda c: c.share or 0.0, default=None)

    def as_dict(self) -> dict[str, Any]:
        narrow = self.narrowest
        return {
            "scope": self.scope,
            "tables": list(self.tables),
            "suppressed": self.suppressed,
            "exposed": self.exposed,
            "by_verdict": {v: self.count(v) for v in ("disclosed", "exposed", "weak", "protected", "empty")},
            "disclosed_primary": len(self.disclosed_primary),
            "narrowest_share": narrow.share
            if narrow and narrow.share is not None and math.isfinite(narrow.share)
            else None,
            "seconds": round(self.seconds, 3),
            "components": self.components,
            "programs": self.programs,
            "conflicts": self.conflicts,
            "cells": [c.as_dict() for c in self.cells if c.verdict in BREACHES],
        }
