"""Typed rows of the record tables, each in its table's column order (``schema.py``).

A row type is a ``NamedTuple`` where the writer appends many rows at once (it is already the
sequence an Arrow column is built from) and a dataclass where the runner fills the record in
as a step goes (``StepRecord``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]  # untyped in typeshed
from typing import Any, NamedTuple


def json_text(default: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
    """``json.dumps(value, default=default)``'s text, from the C encoder built once.

    ``json.dumps`` (and ``JSONEncoder.encode``) builds a new C encoder at every call, a closure and a
    markers dict with it: about 1.5 µs, more than encoding a record's small ``inputs`` or empty
    ``report``, and a step record has four JSON columns. The encoder built here is the one
    ``encode`` builds (same separators, ASCII escapes, ``NaN``), without the markers: a structure
    that contains itself raises ``RecursionError`` instead of ``ValueError`` (records hold none)."""
    if default is None:
        default = json.JSONEncoder().default  # raises the same TypeError as ``json.dumps``
    if c_make_encoder is None:  # a Python without the C accelerator
        return json.JSONEncoder(default=default).encode
    encode = c_make_encoder(None, default, encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


#: ``json.dumps(value, default=str)`` (a record's report and footprint, encoded for every step)
_dumps = json_text(str)
#: ``json.dumps(value)``
_plain = json_text()


def now() -> datetime:
    """UTC, without tzinfo: stored as TIMESTAMP so every engine reads it back the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class StepRecord:
    """One ``step_runs`` row, filled in while the step runs."""

    run_id: str
    step: str
    kind: str
    status: str = "running"
    reason: str = ""
    started_at: datetime = field(default_factory=now)
    ended_at: datetime | None = None
    input_key: str = ""
    definition_hash: str = ""
    inputs: dict[str, str | None] = field(default_factory=dict)
    outputs: dict[str, str | None] = field(default_factory=dict)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_bytes: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: energy and CO2e of the step with the method used (see territoria.footprint)
    footprint: dict[str, Any] = field(default_factory=dict)

    def row(self) -> list[Any]:
        """The record as a ``step_runs`` row (``STEP_RUNS`` column order)."""
        return [
            self.run_id,
            self.step,
            self.kind,
            self.status,
            self.reason,
            self.started_at,
            self.ended_at,
            self.input_key,
            self.definition_hash,
            _plain(self.inputs),
            _plain(self.outputs),
            self.rows_in,
            self.rows_out,
            self.rows_quarantined,
            self.bytes_read,
            self.bytes_written,
            self.wall_s,
            self.cpu_s,
            self.peak_rss_bytes,
            _dumps(self.report),
            self.error,
            _dumps(self.footprint),
        ]


class FetchRow(NamedTuple):
    """One ``fetches`` row: what a connector asked for and what came back."""

    run_id: str
    dataset: str
    kind: str
    url: str
    status: str
    changed: bool
    bytes: int
    sha256: str | None
    request: dict[str, Any]
    headers: dict[str, Any]
    #: a connector's ISO 8601 text is stored as it is: the engine casts it to TIMESTAMP
    fetched_at: datetime | str

    def row(self) -> list[Any]:
        return [*self[:8], json.dumps(self.request), json.dumps(self.headers), self.fetched_at]


class RunStart(NamedTuple):
    """The ``runs`` row written when a run begins (status ``running``)."""

    run_id: str
    started_at: datetime
    command: str
    steps_total: int


class RunClose(NamedTuple):
    """What a run's row receives when it ends, whatever the way it ended."""

    run_id: str
    ended_at: datetime
    status: str
    steps_run: int
    steps_skipped: int
    steps_failed: int
    wall_s: float
    cpu_s: float
    error: str | None
    footprint: dict[str, Any]


class DatasetRow(NamedTuple):
    """One ``datasets`` row: a table's last content fingerprint and who wrote it."""

    name: str
    layer: str
    table_schema: str
    table_name: str
    content_hash: str
    rows: int
    updated_at: datetime
    run_id: str
    step: str


class StepStateRow(NamedTuple):
    """One ``step_state`` row: the input key of a step's last success."""

    step: str
    input_key: str
    run_id: str
    updated_at: datetime


class LineageRow(NamedTuple):
    """One ``lineage`` edge, ``source`` -> ``target``, recorded by the step that read and wrote."""

    run_id: str
    step: str
    source: str
    target: str
    recorded_at: datetime


__all__ = ["DatasetRow", "FetchRow", "LineageRow", "RunClose", "RunStart", "StepRecord", "StepStateRow", "now"]
