"""The transcoding pass's writes on a second thread: same bytes, in order, and its errors raised
on the calling thread."""

from __future__ import annotations

import errno
import io
import threading

import pytest

from territoria.connectors.formats.writer import BackgroundWriter


def test_bytes_are_written_in_order_whatever_their_sizes() -> None:
    out = io.BytesIO()
    pieces = [bytes([i % 251]) * (i * 7 % 40) for i in range(500)] + [b"x" * 100, b"", b"end"]
    with BackgroundWriter(out, size=64, buffers=2) as writer:
        for piece in pieces:
            writer.write(piece)
    assert out.getvalue() == b"".join(pieces)


class FullDisk(io.BytesIO):
    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_refused_write_is_raised_on_the_calling_thread() -> None:
    with pytest.raises(OSError, match="No space left"), BackgroundWriter(FullDisk(), size=16, buffers=2) as writer:
        for _ in range(100):
            writer.write(b"0123456789")
    assert not [t for t in threading.enumerate() if t.name == "territoria-writer"]


def test_an_error_in_the_block_is_not_masked_and_stops_the_thread() -> None:
    with pytest.raises(UnicodeDecodeError), BackgroundWriter(FullDisk(), size=16) as writer:
        writer.write(b"0123456789" * 3)
        b"\x81".decode("cp1252")
    assert not [t for t in threading.enumerate() if t.name == "territoria-writer"]
