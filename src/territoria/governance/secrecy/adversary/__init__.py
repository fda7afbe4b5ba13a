"""The adversary: what an outsider holding the published tables can prove about suppressed cells.

For every suppressed cell, the smallest and largest values consistent with every published
additive equation (margins = sums of their children, along each dimension, for every measure),
with published values as intervals when they are rounded and suppressed values nonnegative, by
linear programming. Several tables are audited together when they share cells (the same cell
published by two tables is one unknown), which is how cross-table differencing is caught.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from territoria.governance.secrecy.adversary.equations import System, build_system
from territoria.governance.secrecy.adversary.model import (
    BREACHES,
    AuditReport,
    CellFinding,
    CellLink,
    PublishedTable,
    inferred_rounding,
    verdict,
)
from territoria.governance.secrecy.adversary.solve import solve

__all__ = [
    "BREACHES",
    "AuditReport",
    "CellFinding",
    "CellLink",
    "PublishedTable",
    "audit",
    "inferred_rounding",
]


def _targets(system: System) -> set[int]:
    """Suppressed cells worth a program: all of them, except known-empty ones (true value 0)."""
    return {i for i, v in enumerate(system.variables) if v.tables and not v.known and v.truth != 0}


def audit(tables: Sequence[PublishedTable], scope: str | None = None, *, exact: bool = False) -> AuditReport:
    """The interval of every suppressed cell of ``tables`` (audited together), with a verdict.

    ``exact``: solve both programs of every cell, even one that feasible points met on the way
    already show protected (by default its interval is then a sub-interval, ``exact=False``)."""
    started = time.perf_counter()
    system = build_system(list(tables))
    bounds = solve(system, _targets(system), exact)
    findings = []
    for i, v in enumerate(system.variables):
        if not v.tables:
            continue
        if v.known:  # suppressed in one table, published by another
            low, high = float(v.low or 0.0), float(v.high if v.high is not None else math.inf)
        else:
            low = bounds.low.get(i, 0.0 if v.nonnegative else -math.inf)
            high = bounds.high.get(i, math.inf)
        findings.append(
            CellFinding(
                tables=tuple(dict.fromkeys(v.tables)),
                key=v.key,
                measure=v.measure,
                status=v.status,
                true_value=v.truth,
                low=low,
                high=high,
                verdict=verdict(v.truth, low, high, v.step, v.protection),
                exact=i not in bounds.partial,
            )
        )
    names = tuple(t.name for t in tables)
    return AuditReport(
        scope=scope or " + ".join(names),
        tables=names,
        cells=findings,
        seconds=time.perf_counter() - started,
        components=bounds.components,
        programs=bounds.programs,
        conflicts=system.conflicts,
    )
