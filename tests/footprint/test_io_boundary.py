"""The meter reads the I/O counters once per step boundary: a step starts from the previous
step's closing reading, so no byte between two steps is lost or counted twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from territoria.footprint.meter import StepMeter
from territoria.footprint.params import load_policy
from territoria.footprint.probes import read_io
from territoria.ledger import StepRecord, ensure_meta

GAP = 300_000


def write_bytes(path: Path, n: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, b"x" * n)
    finally:
        os.close(fd)


@pytest.mark.skipif(read_io() is None, reason="no /proc/self/io on this system")
def test_steps_share_the_reading_at_their_boundary(tmp_path: Path, small_ws) -> None:  # type: ignore[no-untyped-def]
    with small_ws.engine() as engine:
        ensure_meta(engine)
        meter = StepMeter(load_policy({}), engine, {})
    records = [StepRecord("run", f"model:{i}", "model", status="success") for i in range(3)]
    one = meter.finish(records[0], meter.start())
    write_bytes(tmp_path / "gap", GAP)  # between two steps: counts to the next one
    two = meter.finish(records[1], meter.start())
    write_bytes(tmp_path / "gap", GAP)  # a commit between steps, say: a fresh reading leaves it out
    three = meter.finish(records[2], meter.start(fresh=True))
    assert one["io"]["written_bytes"] < GAP
    assert two["io"]["written_bytes"] >= GAP > three["io"]["written_bytes"]


def test_io_counters_read_by_position_or_by_name(tmp_path: Path) -> None:
    """The usual layout of ``/proc/self/io`` is read by position; any other order, by name."""
    usual = tmp_path / "usual"
    usual.write_text(
        "rchar: 11\nwchar: 22\nsyscr: 3\nsyscw: 4\nread_bytes: 55\nwrite_bytes: 66\ncancelled_write_bytes: 7\n"
    )
    shuffled = tmp_path / "shuffled"
    shuffled.write_text("wchar: 22\nrchar: 11\nwrite_bytes: 66\nread_bytes: 55\n")
    for path in (usual, shuffled):
        counters = read_io(str(path))
        assert counters is not None
        assert (counters.rchar, counters.wchar, counters.read_bytes, counters.write_bytes) == (11, 22, 55, 66)
    assert read_io(str(tmp_path / "missing")) is None


@pytest.mark.skipif(read_io() is None, reason="no /proc/self/io on this system")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_reads_its_own_counters(tmp_path: Path) -> None:
    """The descriptors kept open name the process that opened them: a child opens its own."""
    write_bytes(tmp_path / "parent", GAP)
    parent = read_io()
    assert parent is not None and parent.wchar >= GAP
    pid = os.fork()
    if pid == 0:  # the child: its counters start from nothing, not from the parent's
        child = read_io()
        os._exit(0 if child is not None and child.wchar < parent.wchar else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
