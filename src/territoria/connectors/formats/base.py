"""What a format reader hands to validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from territoria.core.errors import ConfigError, DataError
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
    #: a SQL relation (subquery or table function) with a ``_line`` column and the file's columns,
    #: scanned once by the validation
    sql: str
    #: the file's column names and their engine types (text for CSV)
    columns: list[tuple[str, str]]
    #: what the reader detected (encoding, delimiter...), kept in the step report
    notes: dict[str, Any] = field(default_factory=dict)
    #: called once ``sql`` was scanned with the number of rows it gave: raises ``DataError`` when
    #: the file is unusable as a whole (truncated, wrong encoding...), else returns its rejected lines
    finish: Callable[[Engine, int], Rejected | None] | None = None
    #: what to do with invalid geometries: repair them (ST_MakeValid, counted) or quarantine the row
    invalid_geometries: GeometryPolicy = "repair"
    #: ``sql`` without its ``_line`` column, its rows in the file's order (the n-th, from 1, is line
    #: n + ``line_offset``): an engine with ``ordered_rowid`` numbers them from the table it stores
    #: them in, without a window over the scan; None when only ``sql`` gives the lines
    in_file_order: str | None = None
    line_offset: int = 0
    #: False when the reader saw no non-ASCII space in the file (U+00A0 no-break space...), so a
    #: value needs trimming only when it starts or ends with ' ' (tested without copying it)
    unicode_spaces: bool = True


def apply_header_map(names: list[str], options: dict[str, Any]) -> list[str]:
    """The column names after the source's ``read.header_map`` (file label -> schema name).

    One source reads a producer's layouts that differ only by their labels (Agence ORE's national
    file says ``Code Commune`` where its API export says ``code_commune``): the mapping is declared
    in the source's YAML, and a label the file does not have is simply not used.
    """
    mapping = options.get("header_map")
    if mapping is None:
        return names
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ConfigError(
            '`read.header_map` must map the file\'s column labels to names: {"Code Commune": code_commune, ...}',
            hint="write one `label: name` pair per line under `header_map:`",
        )
    renamed = [mapping.get(n, n) for n in names]
    clashes = sorted({n for n in renamed if renamed.count(n) > 1})
    if clashes:
        raise DataError(
            f"after `read.header_map`, several columns are named {', '.join(clashes)}",
            hint="the file already has a column of that name: map only the labels it does not share",
        )
    return renamed
