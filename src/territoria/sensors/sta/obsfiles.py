"""The observation files the SensorThings API reads, with their row counts from Parquet metadata.

A file's footer holds its row count: reading it once per file (files are written whole, under a
new name, and never rewritten) gives exact counts per datastream and month without scanning a
row. ``$count`` and deep ``$skip`` on Observations then cost a sum over a few hundred numbers,
and a page reads only the month files of one datastream that hold its rows.

A compacted file names, in its metadata, the parts it replaces: between its rename and the
parts' deletion both are on disk, and the replaced parts are left out so that nothing is
counted twice (nor read after its deletion).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from territoria.sensors.store import REPLACES


@dataclass(frozen=True)
class Group:
    """The files of one datastream and one month: their observations' ids form one range, and the
    groups of a datastream in month order hold its observations in id order."""

    datastream: int
    month: str
    rows: int
    files: tuple[Path, ...]


class ObservationFiles:
    def __init__(self) -> None:
        #: path -> (row count, names of the parts it replaces), read once per file
        self._meta: dict[Path, tuple[int, frozenset[str]]] = {}
        self.groups: list[Group] = []
        self.by_stream: dict[int, list[Group]] = {}

    def update(self, listed: list[Path]) -> list[Path]:
        """Take the store's listing; return the live files (without parts a compaction replaced)."""
        meta: dict[Path, tuple[int, frozenset[str]]] = {}
        for p in listed:
            known = self._meta.get(p) or _read_meta(p)
            if known is not None:
                meta[p] = known
        self._meta = meta
        replaced = {p.parent / name for p, (_, names) in meta.items() for name in names}
        live = [p for p in meta if p not in replaced]
        grouped: dict[tuple[int, str], list[Path]] = {}
        for p in live:
            key = (int(p.parent.name.removeprefix("datastream=")), p.parent.parent.name.removeprefix("month="))
            grouped.setdefault(key, []).append(p)
        self.groups = [
            Group(ds, month, sum(meta[f][0] for f in files), tuple(files))
            for (ds, month), files in sorted(grouped.items())
        ]
        self.by_stream = {}
        for g in self.groups:
            self.by_stream.setdefault(g.datastream, []).append(g)
        return live

    def files_of(self, datastreams: set[int]) -> list[Path]:
        return [f for ds in sorted(datastreams) for g in self.by_stream.get(ds, []) for f in g.files]

    def page(
        self,
        cursor: duckdb.DuckDBPyConnection,
        relation_of: Any,
        select: str,
        datastreams: set[int] | None,
        skip: int,
        top: int,
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Observations ``skip .. skip + top`` (one more, to tell whether more follow) in id order
        of the given datastreams (None: all), and how many there are: only the groups holding
        those rows are read. ``relation_of(files)`` gives the SQL relation of some files."""
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
        files = [f for g in wanted for f in g.files]
        rows = cursor.execute(
            f"SELECT {select} FROM {relation_of(files)} t ORDER BY t.id ASC LIMIT {top + 1} OFFSET {skip - before}"
        ).fetchall()
        return rows, seen


def _read_meta(path: Path) -> tuple[int, frozenset[str]] | None:
    """Row count and replaced parts; None for a part deleted since the listing (a compaction's)."""
    try:
        meta = pq.read_metadata(path)
    except FileNotFoundError:
        return None
    replaces = (meta.metadata or {}).get(REPLACES)
    return meta.num_rows, frozenset(json.loads(replaces) if replaces else ())
