"""A cell whose cheap patterns all run into masked cells is protected by a dearer one.

Brest Métropole's energy publication stopped: Guipavas's electricity total, hidden because the
other table of its group hides it, had to be protected in the IRIS table. Its cheapest IRIS
child had every cheap sector masked by the producer, so every pattern through the four cheapest
sectors had a missing corner, and publication failed. A dearer sector gives a pattern.
"""

from __future__ import annotations

import itertools

import numpy as np

from territoria.governance.secrecy.secondary import MASKED, PRIMARY, PUBLISHED, SECONDARY, protect_cells

from .tables import Table, derivable
from .test_properties import SECONDARY_SPEC

SECTORS = [f"S{k}" for k in range(6)]


def _brest_like() -> Table:
    """E > C0 (IRIS C0I0, C0I1), C1, C2; sectors S0..S5 + T. C0I0, the cheapest IRIS of C0, has
    S0..S3 masked; S0..S3 are the cheapest sectors of C0 (few sites), S4, S5 the dearest."""
    parent: dict[str, str | None] = {"E": None, "C0": "E", "C1": "E", "C2": "E", "C0I0": "C0", "C0I1": "C0"}
    counts = {"S0": 4, "S1": 5, "S2": 6, "S3": 7, "S4": 400, "S5": 900}
    masked = {("C0I0", s, "2020") for s in SECTORS[:4]}
    cells: dict[tuple[str, str, str], int] = {}
    for g, s in itertools.product(["C0I0", "C0I1", "C1", "C2"], SECTORS):
        if (g, s, "2020") not in masked:
            cells[(g, s, "2020")] = counts[s] * (1 if g == "C0I0" else 3)
    for g, kids in (("C0", ["C0I0", "C0I1"]), ("E", ["C0", "C1", "C2"])):
        for s in SECTORS:
            cells[(g, s, "2020")] = sum(cells.get((k, s, "2020"), 0) for k in kids)
    for g in parent:
        cells[(g, "T", "2020")] = sum(cells.get((g, s, "2020"), 0) for s in SECTORS)
    for key in masked:
        cells[key] = 0  # a row of the table, masked: its value is unknown to everyone
    return Table(parent, ["T", *SECTORS], ["2020"], cells, masked)


def test_a_forced_total_whose_cheap_corners_are_masked_is_protected_by_a_dearer_sector() -> None:
    table = _brest_like()
    arrow = table.arrow()
    keys = list(zip(arrow["code"].to_pylist(), arrow["sector"].to_pylist(), arrow["period"].to_pylist(), strict=True))
    nb = np.array(arrow["nb"].to_pylist(), dtype=float)
    masked = np.array(arrow["masked"].to_pylist(), dtype=bool)
    forced = np.array([k == ("C0", "T", "2020") for k in keys])  # hidden by the other table of its group
    decision = protect_cells(arrow, SECONDARY_SPEC, np.zeros(len(keys), dtype=bool), masked, nb, forced)

    status = dict(zip(keys, decision.status, strict=True))
    assert status[("C0", "T", "2020")] == SECONDARY
    assert all(status[k] == MASKED for k in table.masked)
    assert not any(s == PRIMARY for s in status.values())
    suppressed = {k for k, s in status.items() if s == SECONDARY}
    assert derivable(table, suppressed) == []
    assert {("C0", "S4", "2020"), ("C0I0", "S4", "2020")} <= suppressed  # the cheapest sector with corners
    assert sum(s == PUBLISHED for s in status.values()) > len(keys) // 2  # not everything hidden
