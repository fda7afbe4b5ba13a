"""What a format reader hands to validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from territoria.engines.base import Engine

GeometryPolicy = Literal["repair", "quarantine"]


@dataclass
class Rejected:
    """Lines the reader could not split into the header's fields (ragged rows)."""

    #: SQL relation (_line BIGINT, _raw VARCHAR, _errors VARCHAR[])
    sql: str
    count: int
    #: SQL expression over ``w._line`` that gives the file's line number once rejected lines are
    #: accounted for (the reader numbers the rows it accepted); ``None`` when nothing shifts
    line_fix: str | None = None
    #: why the lines were rejected (reason -> lines), when not all for a wrong number of fields
    reasons: dict[str, int] | None = None


@dataclass
class RawRelation:
    #: a SQL relation (subquery or table function) with a ``_line`` column and the file's columns
    sql: str
    #: the file's column names and their engine types (text for CSV)
    columns: list[tuple[str, str]]
    #: what the reader detected (encoding, delimiter...), kept in the step report
    notes: dict[str, Any] = field(default_factory=dict)
    #: the same rows for a second scan (without side effects such as filling a rejects table)
    rescan_sql: str | None = None
    #: the same rows again with a NULL ``_line``: cheaper when no line has to be told apart
    #: (numbering rows is a window over the whole file)
    unnumbered_sql: str | None = None
    #: called once ``sql`` was scanned with the number of rows it gave: raises ``DataError`` when
    #: the file is unusable as a whole (truncated, wrong encoding...), else returns its rejected lines
    finish: Callable[[Engine, int], Rejected | None] | None = None
    #: what to do with invalid geometries: repair them (ST_MakeValid, counted) or quarantine the row
    invalid_geometries: GeometryPolicy = "repair"
