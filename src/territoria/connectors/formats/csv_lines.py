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
#: bytes read at a time by the passes over a whole file: a larger buffer is a fresh allocation
#: from the system at each read (glibc gives back the memory of a freed large block), whose page
#: faults cost more system CPU than the pass itself (0.6 s for 421 MB read by 1 MiB, 0.04 by 16 KiB)
READ_CHUNK = 1 << 14


@dataclass(frozen=True)
class LongLine:
    line: int
    offset: int
    length: int
    head: str


class LineScan:
    """Fed a file's bytes in order, in chunks of any size: its lines of ``limit`` bytes or more.

    The transcoding pass feeds it the UTF-8 it writes, so a Windows-1252 file is not read a
    third time; a UTF-8 file is read by ``find_long_lines``. Lines are not counted as the bytes
    go by (``bytes.count`` cost 0.18 CPU-s on 470 MB, ``find`` and ``rfind`` 0.01): a long line's
    number is counted afterwards, in the rare file that has one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.step = max(1, limit // 2)
        #: (offset, length) of the long lines found so far
        self._found: list[tuple[int, int]] = []
        self._pos, self._last_break = 0, -1

    def feed(self, chunk: bytes) -> None:
        # the argument above holds for pieces of at most ``step`` bytes, wherever they start
        for start in range(0, len(chunk), self.step):
            end = min(start + self.step, len(chunk))
            first = chunk.find(b"\n", start, end)
            if first < 0:
                continue
            length = self._pos + first - (self._last_break + 1)
            if length >= self.limit:
                self._found.append((self._last_break + 1, length))
            self._last_break = self._pos + chunk.rfind(b"\n", first, end)
        self._pos += len(chunk)

    def long_lines(self, path: Path) -> list[LongLine]:
        """The long lines once every byte was fed, numbered and described from ``path`` (the bytes fed)."""
        found = list(self._found)
        if self._pos - (self._last_break + 1) >= self.limit:
            found.append((self._last_break + 1, self._pos - (self._last_break + 1)))
        if not found:
            return []
        out = []
        line, counted = 1, 0
        with path.open("rb") as fh:
            for offset, length in found:
                fh.seek(counted)
                while counted < offset:
                    chunk = fh.read(min(COPY_CHUNK, offset - counted))
                    if not chunk:  # the file is shorter than what was fed: not the same bytes
                        raise ValueError(f"{path} is shorter than the bytes scanned")
                    line += chunk.count(b"\n")
                    counted += len(chunk)
                head = fh.read(KEPT_CHARS * 4).decode("utf-8", errors="replace")[:KEPT_CHARS]
                out.append(LongLine(line, offset, length, head + "…"))
        return out


def find_long_lines(path: Path, limit: int, watch: Callable[[bytes], None] | None = None) -> list[LongLine]:
    """The lines of ``limit`` bytes or more; ``watch`` sees every chunk read (see ``spaces``)."""
    scan = LineScan(limit)
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            if watch is not None:
                watch(chunk)
            scan.feed(chunk)
    return scan.long_lines(path)


#: windows of a file read to estimate its mean line length, and their size
LENGTH_SAMPLES, SAMPLE_BYTES = 16, 1 << 16


def mean_line_bytes(path: Path) -> float | None:
    """The mean length of ``path``'s lines, from ``LENGTH_SAMPLES`` windows spread over the file
    (1 MB read, not the whole file: its lines are not counted as it is read, see ``LineScan``);
    ``None`` when the windows hold no line break."""
    size = path.stat().st_size
    read = breaks = 0
    with path.open("rb") as fh:
        for i in range(LENGTH_SAMPLES):
            fh.seek(size * i // LENGTH_SAMPLES)
            window = fh.read(SAMPLE_BYTES)
            read, breaks = read + len(window), breaks + window.count(b"\n")
    return read / breaks if breaks else None


def without_long_lines(src: Path, dest: Path, long_lines: list[LongLine], marker: bytes) -> None:
    """Copy ``src`` to ``dest`` with every long line replaced by ``marker`` (line breaks kept)."""
    with src.open("rb") as fin, dest.open("wb") as fout:
        for long in long_lines:
            copy_bytes(fin, fout, long.offset - fin.tell())
            fout.write(marker)
            fin.seek(long.offset + long.length)
        copy_bytes(fin, fout, None)


def copy_bytes(fin: BinaryIO, fout: BinaryIO, size: int | None) -> None:
    """``size`` bytes (all when None) of ``fin`` from where it stands, written to ``fout``."""
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
