"""The landing area's local-file copy: content-addressed by the bytes stored, read-only, atomic."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from territoria.landing import store
from territoria.landing.store import Landing, LandingError
from territoria.ledger import source_state
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def test_put_file_lands_a_read_only_copy_named_by_its_hash(tmp_path: Path) -> None:
    src = tmp_path / "conso.csv"
    payload = b"code;valeur\n35238;1,5\n" * 50_000
    src.write_bytes(payload)
    landing = Landing(tmp_path / "landing")
    landed = landing.put_file(src)
    digest = hashlib.sha256(payload).hexdigest()
    assert (landed.sha256, landed.size, landed.new) == (digest, len(payload), True)
    assert landed.path == landing.path(digest) and landed.path.read_bytes() == payload
    assert stat.S_IMODE(landed.path.stat().st_mode) == 0o400
    # the source is copied, never moved or linked: changing it later changes nothing landed
    assert src.stat().st_ino != landed.path.stat().st_ino
    again = landing.put_file(src)
    assert (again.sha256, again.new) == (digest, False)
    assert list(landing.tmp.iterdir()) == []


def test_put_file_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    landing = Landing(tmp_path / "landing")
    with pytest.raises(FileNotFoundError):
        landing.put_file(tmp_path / "missing.csv")
    assert list(landing.tmp.iterdir()) == []
    assert list(landing.objects.iterdir()) == []


def _no_space(src: object, dst: object, **_: object) -> None:
    """The kernel's copy refused mid-way by a full disk: half the bytes written, then ENOSPC (as
    ``shutil``'s ``sendfile`` path raises it, naming both files)."""
    Path(str(dst)).write_bytes(Path(str(src)).read_bytes()[:10])
    raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(dst))


class _Refused(io.BufferedWriter):
    errno = errno.ENOSPC

    def write(self, data: Any) -> int:
        raise OSError(self.errno, os.strerror(self.errno))

    def flush(self) -> None:
        raise OSError(self.errno, os.strerror(self.errno))


def _refuse_writes(landing: Landing, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Files opened for writing in the landing area's temporary directory refuse every write
    (and the flush of what is left buffered) with the kernel's ``code``."""
    real_open = open

    def refusing(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and Path(path).parent == landing.tmp:
            refused = _Refused(real_open(path, "wb", buffering=0))
            refused.errno = code
            return refused
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(store, "open", refusing, raising=False)


def test_a_full_disk_is_a_landing_error_with_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "conso.csv"
    src.write_bytes(b"code;valeur\n35238;1,5\n")
    landing = Landing(tmp_path / "landing")
    monkeypatch.setattr(shutil, "copyfile", _no_space)
    with pytest.raises(LandingError) as refused:
        landing.put_file(src)
    assert "a copy of conso.csv could not be written to the landing area" in refused.value.message
    assert "No space left on device" in refused.value.message and "free space" in (refused.value.hint or "")
    assert list(landing.tmp.iterdir()) == [] and list(landing.objects.iterdir()) == []


def test_a_copy_the_disk_refuses_to_flush_is_a_landing_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flush runs beside the hash (its own thread): its refusal still fails the landing, and
    the copy is hashed whole all the same."""
    src = tmp_path / "conso.csv"
    src.write_bytes(b"code;valeur\n35238;1,5\n" * 50_000)
    landing = Landing(tmp_path / "landing")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(LandingError) as refused:
        landing.put_file(src)
    assert "a copy of conso.csv could not be written to the landing area" in refused.value.message
    assert list(landing.tmp.iterdir()) == [] and list(landing.objects.iterdir()) == []
    monkeypatch.undo()
    assert landing.put_file(src).sha256 == hashlib.sha256(src.read_bytes()).hexdigest()


def test_a_refused_stream_write_is_a_landing_error_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel refuses the write itself (a read-only remount): the buffered bytes left behind are
    refused again when the file is closed, and that second refusal is not the one reported."""
    landing = Landing(tmp_path / "landing")
    kept = landing.put_stream([b"before"])
    _refuse_writes(landing, monkeypatch, errno.EROFS)
    with pytest.raises(LandingError, match=r"a payload could not be written .*: Read-only file system"):
        landing.put_stream([b"a" * 100, b"b" * 100])
    assert list(landing.tmp.iterdir()) == []
    assert kept.path.read_bytes() == b"before" and [p.name for p in landing.objects.rglob("*") if p.is_file()] == [
        kept.sha256
    ]


def test_an_unwritable_landing_area_fails_the_run_clearly_and_keeps_the_landed_payload(
    small_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root (the tests' user here) may write anywhere: the kernel's refusal is raised where the
    landing copy writes the file."""
    with small_ws.engine() as engine:
        run_pipeline(small_ws, engine)
        before = source_state(engine, "population-communes")
    assert before is not None and small_ws.landing.has(before["sha256"])
    source = small_ws.root / "data" / "population-communes.csv"
    source.write_bytes(source.read_bytes() + b"\n")
    monkeypatch.setattr(shutil, "copyfile", _no_space)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
        after = source_state(engine, "population-communes")
    failed = next(r for r in summary.records if r.step == "ingest:population-communes")
    assert failed.status == "failed" and "internal error" not in (failed.error or "")
    assert "could not be written to the landing area" in (failed.error or "")
    assert "No space left on device" in (failed.error or "") and "traceback" not in failed.report
    assert after == before and small_ws.landing.has(before["sha256"])
    assert not any(small_ws.landing.tmp.iterdir())


def test_a_full_disk_under_streamed_payloads_fails_their_steps_clearly(
    small_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The referentials land their payload through ``put_stream``: a refused write fails their
    steps with what could not be written and why, not as an internal error with a traceback."""
    _refuse_writes(small_ws.landing, monkeypatch, errno.ENOSPC)
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    streamed = [r for r in summary.records if r.step in ("ingest:communes-referentiel", "ingest:contours-communes")]
    assert len(streamed) == 2 and all(r.status == "failed" for r in streamed)
    for r in streamed:
        assert "a payload could not be written to the landing area" in (r.error or "")
        assert "No space left on device" in (r.error or "") and "internal error" not in (r.error or "")
        assert "traceback" not in r.report
    assert not any(small_ws.landing.tmp.iterdir())
    # only the file source (copied by the kernel, not refused here) landed
    assert len([p for p in small_ws.landing.objects.rglob("*") if p.is_file()]) == 1


def test_a_refusal_is_told_apart_by_the_side_it_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Permission denied`` opening the landing copy is the landing area's; on the source file it
    stays the caller's ``OSError`` (the file connector reports its source file unreadable)."""
    src = tmp_path / "conso.csv"
    src.write_bytes(b"code\n1\n")
    landing = Landing(tmp_path / "landing")

    def refused_on(side: str) -> Any:
        def copy(source: object, dst: object, **_: object) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(dst if side == "dst" else source))

        return copy

    monkeypatch.setattr(shutil, "copyfile", refused_on("dst"))
    with pytest.raises(LandingError, match=r"conso\.csv could not be written .*: Permission denied"):
        landing.put_file(src)
    monkeypatch.setattr(shutil, "copyfile", refused_on("src"))
    with pytest.raises(PermissionError):
        landing.put_file(src)
    assert list(landing.tmp.iterdir()) == []


def test_a_run_on_a_read_only_landing_area_with_leftovers_is_a_clear_error(
    small_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run first sweeps what an interrupted write left in ``tmp/``: a read-only mount refuses
    the removal, which names the file and the reason instead of an internal error."""
    leftover = small_ws.landing.tmp / "incoming-x"
    leftover.write_bytes(b"half")
    unlink = Path.unlink

    def read_only(path: Path, missing_ok: bool = False) -> None:
        if path.parent == small_ws.landing.tmp:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    with small_ws.engine() as engine, pytest.raises(LandingError) as refused:
        run_pipeline(small_ws, engine)
    assert "the leftover temporary file incoming-x could not be removed from the landing area" in refused.value.message
    assert "Read-only file system" in refused.value.message and refused.value.hint
