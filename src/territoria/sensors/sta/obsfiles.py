"""The observation files the SensorThings API reads, with their row counts from Parquet metadata.

A file's footer holds its row count per datastream (``sensors/obslayout.py``): reading it once
per file (files are written whole, under a new name, and never rewritten) gives exact counts per
datastream and month without scanning a row. ``$count`` and deep ``$skip`` on Observations then
cost a sum over a few hundred numbers, and a page reads only the rows of the datastreams and
months that hold it (the files are sorted by datastream: the others' row groups are skipped).

A compacted file names, in its metadata, the parts it replaces: between its rename and the
parts' deletion both are on disk, and the replaced parts are left out so that nothing is
counted twice (nor read after its deletion). A listed part deleted before its footer is read
means a compaction ran in between: its compacted file was renamed in before the deletion, so
the store is listed again (else that part's rows would be missing from ``$count`` and the pages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from territoria.core.errors import TerritoriaError
from territoria.sensors.obslayout import month_of, read_counts

#: listings of the store tried before giving up: each further one needs another compaction
#: to delete a file between that listing and its footer read
LISTINGS = 5


@dataclass(frozen=True)
class Group:
    """The rows of one datastream in one month: their observations' ids form one range, and the
    groups of a datastream in month order hold its observations in id order."""

    datastream: int
    month: str
    rows: int
    files: tuple[Path, ...]


#: the SQL relation of some files' observations, restricted (if given) to some datastreams
RelationOf = Callable[[list[Path], set[int] | None], str]


class ObservationFiles:
    def __init__(self) -> None:
        #: path -> (rows per datastream, names of the parts it replaces), read once per file
        self._meta: dict[Path, tuple[dict[int, int], frozenset[str]]] = {}
        self.groups: list[Group] = []
        self.by_stream: dict[int, list[Group]] = {}

    def update(self, list_files: Callable[[], list[Path]]) -> list[Path]:
        """Take the store's listing (again while listed files vanish, see the module docstring);
        return the live files (without parts a compaction replaced)."""
        for _ in range(LISTINGS):
            meta: dict[Path, tuple[dict[int, int], frozenset[str]]] = {}
            for p in list_files():
                known = self._meta.get(p) or read_counts(p)
                if known is None:
                    break
                meta[p] = known
            else:
                break
        else:
            raise TerritoriaError(
                f"the sensor store's observation files changed under {LISTINGS} listings in a row",
                hint="retry the request (compactions run one at a time, every few dozen batches)",
            )
        self._meta = meta
        replaced = {p.parent / name for p, (_, names) in meta.items() for name in names}
        live = [p for p in meta if p not in replaced]
        grouped: dict[tuple[int, str], list[Path]] = {}
        for p in live:
            month = month_of(p).name.removeprefix("month=")
            for ds in meta[p][0]:
                grouped.setdefault((ds, month), []).append(p)
        self.groups = [
            Group(ds, month, sum(meta[f][0][ds] for f in files), tuple(files))
            for (ds, month), files in sorted(grouped.items())
        ]
        self.by_stream = {}
        for g in self.groups:
            self.by_stream.setdefault(g.datastream, []).append(g)
        return live

    def files_of(self, datastreams: set[int]) -> list[Path]:
        return list(dict.fromkeys(f for ds in sorted(datastreams) for g in self.by_stream.get(ds, []) for f in g.files))

    def page(
        self,
        cursor: duckdb.DuckDBPyConnection,
        relation_of: RelationOf,
        select: str,
        datastreams: set[int] | None,
        skip: int,
        top: int,
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Observations ``skip .. skip + top`` (one more, to tell whether more follow) in id order
        of the given datastreams (None: all), and how many there are: only the groups holding
        those rows are read."""
        if datastreams is None:
            groups = self.groups
        else:
            groups = [g for ds in sorted(datastreams) for g in self.by_stream.get(ds, [])]
        wanted: list[Group] = []
        before = seen = 0
        for g in groups:
            if seen + g.rows > skip and seen < skip + top + 1:
                if not wanted:
                    before = seen
                wanted.append(g)
            seen += g.rows
        if not wanted:
            return [], seen
        # A file holds several datastreams (and a month several files): read, month by month, only
        # the datastreams of the wanted groups, or rows before the page would shift it.
        by_month: dict[str, list[Group]] = {}
        for g in wanted:
            by_month.setdefault(g.month, []).append(g)
        parts = []
        for month_groups in by_month.values():
            files = list(dict.fromkeys(f for g in month_groups for f in g.files))
            parts.append(f"SELECT {select} FROM {relation_of(files, {g.datastream for g in month_groups})} t")
        union = " UNION ALL ".join(parts)
        rows = cursor.execute(f"SELECT * FROM ({union}) ORDER BY 1 LIMIT {top + 1} OFFSET {skip - before}").fetchall()
        return rows, seen
