"""Writes of a pass over a file, made on a thread of their own while the pass goes on.

The transcoding pass decodes Windows-1252 on the calling thread (the codec holds the GIL), and
writing its UTF-8 copy is system time spent in ``write`` (page cache allocation, 0.4-1.5 s for
470 MB on a loaded machine) that the GIL does not block: done on a second thread, it overlaps
with the decoding instead of following it. The bytes go through a few buffers allocated once and
reused: a fresh large buffer per write is memory from the system each time, whose page faults
cost more than the copy (see ``csv_lines.READ_CHUNK``).
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType
from typing import BinaryIO

BUFFER = 1 << 20
BUFFERS = 4


class BackgroundWriter:
    """``write`` fills a buffer; a full one is written to ``fh`` by a thread while the next fills.

    Use as a context manager: leaving the block writes what is left and raises the thread's
    error if a write failed (an error on the writing thread also surfaces at the next ``write``
    that waits for a buffer). ``fh`` is written in order and never closed here."""

    def __init__(self, fh: BinaryIO, size: int = BUFFER, buffers: int = BUFFERS) -> None:
        self._fh = fh
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(buffers - 1):
            self._free.put(bytearray(size))
        self._full: queue.SimpleQueue[tuple[bytes | bytearray, int] | None] = queue.SimpleQueue()
        self._buf, self._n = bytearray(size), 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="territoria-writer", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        end = self._n + len(data)
        if end > len(self._buf):
            self._hand_over()
            if len(data) > len(self._buf):  # larger than a buffer: written as it is, in its turn
                self._full.put((data, len(data)))
                return
            end = len(data)
        self._buf[self._n : end] = data
        self._n = end

    def _hand_over(self) -> None:
        if self._n:
            self._full.put((self._buf, self._n))
            self._buf, self._n = self._free.get(), 0
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._full.get()) is not None:
            buf, n = item
            if self._error is None:
                try:
                    _write_all(self._fh, memoryview(buf)[:n])
                except BaseException as exc:  # raised on the calling thread
                    self._error = exc
            if isinstance(buf, bytearray):  # one of the buffers, not a large ``data``
                self._free.put(buf)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None:
                self._hand_over()
        finally:
            self._full.put(None)
            self._thread.join()
        if kind is None and self._error is not None:
            raise self._error


def _write_all(fh: BinaryIO, view: memoryview) -> None:
    # an unbuffered file may write less than asked
    while view:
        written = fh.write(view)
        view = view[written if written is not None else len(view) :]
