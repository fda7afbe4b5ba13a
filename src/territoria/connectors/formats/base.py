"""What a format reader hands to validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawRelation:
    #: a SQL relation (subquery or table function) with a ``_line`` column and the file's columns
    sql: str
    #: the file's column names and their engine types (text for CSV)
    columns: list[tuple[str, str]]
    #: what the reader detected (encoding, delimiter...), kept in the step report
    notes: dict[str, Any] = field(default_factory=dict)
