"""Random hierarchical tables, and the package's linear-algebra disclosure check on them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyarrow as pa

from territoria.governance.secrecy.adversary.recovery import recovered


@dataclass
class Table:
    geo_parent: dict[str, str | None]
    sectors: list[str]
    years: list[str]
    cells: dict[tuple[str, str, str], int]  # (geo, sector, year) -> count
    masked: set[tuple[str, str, str]]

    def arrow(self) -> pa.Table:
        keys = sorted(self.cells)
        return pa.table(
            {
                "code": [k[0] for k in keys],
                "parent": [self.geo_parent[k[0]] for k in keys],
                "sector": [k[1] for k in keys],
                "period": [k[2] for k in keys],
                "nb": [self.cells[k] for k in keys],
                "masked": [k in self.masked for k in keys],
            }
        )


def complete_table(
    communes: int, iris: list[int], sectors: int, years: int, leaf_counts: list[int], masked: list[bool]
) -> Table:
    """EPCI ``E`` > communes ``C<i>`` > IRIS ``C<i>I<j>``; sectors ``S<k>`` + total ``T``; free years.

    Margins are the sums of their present, unmasked children (a lower bound, as re-aggregation does).
    """
    parent: dict[str, str | None] = {"E": None}
    leaves_geo = []
    for i in range(communes):
        parent[f"C{i}"] = "E"
        n_iris = iris[i % len(iris)] if iris else 0
        if n_iris:
            for j in range(n_iris):
                parent[f"C{i}I{j}"] = f"C{i}"
                leaves_geo.append(f"C{i}I{j}")
        else:
            leaves_geo.append(f"C{i}")
    secs = [f"S{k}" for k in range(sectors)]
    yrs = [str(2020 + y) for y in range(years)]
    cells: dict[tuple[str, str, str], int] = {}
    hidden: set[tuple[str, str, str]] = set()
    for n, (g, s, y) in enumerate(itertools.product(leaves_geo, secs, yrs)):
        cells[(g, s, y)] = leaf_counts[n % len(leaf_counts)]
        if masked and masked[n % len(masked)]:
            hidden.add((g, s, y))
    geo_order = sorted(parent, key=lambda g: -g.count("I") - (g != "E"))  # deepest first
    for g in geo_order:
        kids = [c for c, p in parent.items() if p == g]
        if not kids:
            continue
        for s, y in itertools.product(secs, yrs):
            cells[(g, s, y)] = sum(cells[(c, s, y)] for c in kids if (c, s, y) not in hidden)
    for g, y in itertools.product(parent, yrs):
        cells[(g, "T", y)] = sum(cells[(g, s, y)] for s in secs if (g, s, y) not in hidden)
    return Table(parent, ["T", *secs], yrs, cells, hidden)


Key = tuple[str, ...]


def derivable_cells(keys: list[Key], parents: list[dict[str, str | None]], suppressed: set[Key]) -> list[Key]:
    """Suppressed cells whose value follows from the published cells by linear combination (the
    package's recovery, ``adversary.recovery``), in the order of ``keys``; cells absent from
    ``keys`` (masked upstream, never computed) are in no equation."""
    found = recovered(keys, parents, [suppressed])[0]
    return [k for k in keys if k in found]


def derivable(table: Table, suppressed: set[Key]) -> list[Key]:
    keys = [k for k in sorted(table.cells) if k not in table.masked]
    sectors: dict[str, str | None] = {s: (None if s == "T" else "T") for s in table.sectors}
    return derivable_cells(keys, [table.geo_parent, sectors, {}], suppressed)
