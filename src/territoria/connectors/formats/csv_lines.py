"""Over-long CSV lines, found before DuckDB reads the file and quarantined with their line number.

DuckDB's CSV reader rejects a line longer than its ``max_line_size`` (2 MB) into the rejects
table, but a line longer than its read buffer (about 32 MB) vanishes without a trace: a file
made of one 100 MB line read as zero rows and emptied the published table. So the reader finds
the long lines itself and hands DuckDB a copy where each is replaced by a marker line with one
field too many, which DuckDB rejects at the same line number; the quarantine then reports the
line as too long, with the beginning of its text.

Finding them costs one ``find`` and one ``count`` per half-limit chunk (C speed): a line at
least ``limit`` bytes long always spans a chunk boundary, so only the stretch from the last line
break of a chunk to the first one of a later chunk can be long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: DuckDB's ``max_line_size``, less a margin for the line break it counts
DEFAULT_MAX_LINE = 2_000_000 - 16
#: characters of a long line kept in its quarantine row
KEPT_CHARS = 200
COPY_CHUNK = 1 << 24


@dataclass(frozen=True)
class LongLine:
    line: int
    offset: int
    length: int
    head: str


def find_long_lines(path: Path, limit: int, watch: Callable[[bytes], None] | None = None) -> list[LongLine]:
    """The lines of ``limit`` bytes or more; ``watch`` sees every chunk read (see ``spaces``)."""
    step = max(1, limit // 2)
    found: list[tuple[int, int, int]] = []
    pos, newlines, last_break = 0, 0, -1
    with path.open("rb") as fh:
        while chunk := fh.read(step):
            if watch is not None:
                watch(chunk)
            first = chunk.find(b"\n")
            if first >= 0:
                length = pos + first - (last_break + 1)
                if length >= limit:
                    found.append((newlines + 1, last_break + 1, length))
                newlines += chunk.count(b"\n")
                last_break = pos + chunk.rfind(b"\n")
            pos += len(chunk)
    if pos - (last_break + 1) >= limit:
        found.append((newlines + 1, last_break + 1, pos - (last_break + 1)))
    if not found:
        return []
    out = []
    with path.open("rb") as fh:
        for line, offset, length in found:
            fh.seek(offset)
            head = fh.read(KEPT_CHARS * 4).decode("utf-8", errors="replace")[:KEPT_CHARS]
            out.append(LongLine(line, offset, length, head + "…"))
    return out


def without_long_lines(src: Path, dest: Path, long_lines: list[LongLine], marker: bytes) -> None:
    """Copy ``src`` to ``dest`` with every long line replaced by ``marker`` (line breaks kept)."""
    with src.open("rb") as fin, dest.open("wb") as fout:
        for long in long_lines:
            _copy(fin, fout, long.offset - fin.tell())
            fout.write(marker)
            fin.seek(long.offset + long.length)
        _copy(fin, fout, None)


def _copy(fin: BinaryIO, fout: BinaryIO, size: int | None) -> None:
    left = size
    while left is None or left > 0:
        chunk = fin.read(COPY_CHUNK if left is None else min(COPY_CHUNK, left))
        if not chunk:
            return
        fout.write(chunk)
        if left is not None:
            left -= len(chunk)


REASON = "line too long"


def label(limit: int, long: LongLine) -> str:
    return f"{REASON}: {long.length} bytes, more than the {limit} a CSV line may have (not read)"
