"""Content-addressed raw store.

Objects live at ``objects/<first two hex>/<sha256>``. A payload is written to ``tmp/`` while
its hash is computed, flushed to disk, then renamed into place: a crash or an interrupted
download leaves at most a temporary file (swept at the next open), never a half object.
Identical content is stored once. Objects are made read-only once landed.

The landing area refusing a write (a full disk, no write permission, a read-only mount) is the
machine's state, not a bug: ``LandingError`` names what could not be written and the system's
reason, the temporary file is removed and nothing already landed is touched. Only the landing
area's side is turned into it: an error reading the source stays the caller's (a bare
``OSError``, which a connector reports as its source's).

A local file is copied by the kernel (``shutil.copyfile``: ``sendfile`` on Linux, no pass through
Python's buffers), then the copy is hashed while it is flushed to disk: the name is the hash of
the bytes actually stored, even if the source changes meanwhile. Reading, hashing and writing
1 MiB chunks in Python took 1.1 CPU-s for a 421 MB CSV, the kernel copy and
``hashlib.file_digest`` 0.4.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from territoria.core.errors import TerritoriaError

CHUNK = 1 << 20


class LandingError(TerritoriaError):
    """The landing area could not be written (disk full, permissions, read-only file system)."""

    slug = "landing-error"


#: errors only a write gives (the kernel's copy reports both files, whichever side failed)
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def _write_side(exc: OSError, written: Path) -> bool:
    """Whether a failed copy into ``written`` failed writing it rather than reading its source."""
    return exc.errno in WRITE_ERRNOS or (exc.filename == str(written) and exc.filename2 is None)


def _refusal(root: Path, what: str, exc: OSError, done: str = "written to") -> LandingError:
    return LandingError(
        f"{what} could not be {done} the landing area {root}: {exc.strerror or exc}",
        hint=f"free space on the disk holding {root} (`territoria footprint` shows what it keeps) "
        "or give the territoria process write access to it, then run again",
    )


@contextmanager
def _writing(root: Path, what: str, done: str = "written to") -> Iterator[None]:
    """Turn the kernel's refusal of a write into the landing area into a ``LandingError``."""
    try:
        yield
    except OSError as exc:
        raise _refusal(root, what, exc, done) from exc


@dataclass(frozen=True)
class LandedObject:
    sha256: str
    path: Path
    size: int
    #: False when the content was already in the store (deduplicated)
    new: bool


class _HashingWriter:
    def __init__(self, fh: BinaryIO, root: Path) -> None:
        self.fh = fh
        self.root = root
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        with _writing(self.root, "a payload"):
            return self.fh.write(data)


class Landing:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"
        with _writing(root, "its directories"):
            self.objects.mkdir(parents=True, exist_ok=True)
            self.tmp.mkdir(parents=True, exist_ok=True)

    def sweep(self) -> int:
        """Remove temporary files left by an interrupted write; return how many."""
        removed = 0
        for leftover in self.tmp.iterdir():
            # every run starts here: a read-only landing area must not make it an internal error
            with _writing(self.root, f"the leftover temporary file {leftover.name}", "removed from"):
                leftover.unlink(missing_ok=True)
            removed += 1
        return removed

    def path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def archived(self, sha256: str) -> Path:
        """Where the zstd archive of an object lives (``footprint.retention.archive``)."""
        return self.root / "archive" / f"{sha256}.zst"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    @contextmanager
    def writer(self) -> Iterator[_HashingWriter]:
        """Write a payload; it lands only if the block finishes without an exception."""
        tmp = self._temporary()
        fh: BinaryIO | None = None
        try:
            with _writing(self.root, "a payload"):
                fh = open(tmp, "wb")  # noqa: SIM115 -- closed below, and on every error path
            writer = _HashingWriter(fh, self.root)
            yield writer
            with _writing(self.root, "a payload"):
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            self._last = self._commit(tmp, writer.hash.hexdigest(), writer.size)
        except BaseException:
            # closing flushes what a refused write left buffered: refused again, and not the error to report
            with suppress(OSError):
                if fh is not None:
                    fh.close()
            tmp.unlink(missing_ok=True)
            raise

    def _temporary(self) -> Path:
        with _writing(self.root, "a temporary file"):
            fd, name = tempfile.mkstemp(dir=self.tmp, prefix="incoming-")
            os.close(fd)
        return Path(name)

    @property
    def last(self) -> LandedObject:
        return self._last

    def _commit(self, tmp: Path, sha: str, size: int) -> LandedObject:
        target = self.path(sha)
        if target.exists():
            tmp.unlink()
            return LandedObject(sha, target, size, new=False)
        with _writing(self.root, f"object {sha[:12]}"):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.chmod(0o400)  # immutable, and private like the rest of .territoria/
            os.replace(tmp, target)
        return LandedObject(sha, target, size, new=True)

    def put_stream(self, chunks: Iterable[bytes]) -> LandedObject:
        with self.writer() as w:
            for chunk in chunks:
                w.write(chunk)
        return self.last

    def put_file(self, src: Path) -> LandedObject:
        """Land a copy of a local file (an ``OSError`` reading ``src`` is raised as it is)."""
        tmp = self._temporary()
        try:
            try:
                shutil.copyfile(src, tmp)
            except OSError as exc:
                if _write_side(exc, tmp):
                    raise _refusal(self.root, f"a copy of {src.name}", exc) from exc
                raise
            digest = self._sync_and_hash(tmp, src.name)
            self._last = self._commit(tmp, digest, tmp.stat().st_size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return self._last

    def _sync_and_hash(self, tmp: Path, name: str) -> str:
        """Flush ``tmp`` to disk and hash it at the same time: ``fsync`` waits on the disk and
        ``file_digest`` reads the page cache, both without the GIL, so the hash costs no wall
        time while the disk catches up (they ran one after the other)."""
        with tmp.open("rb") as fh, ThreadPoolExecutor(1, thread_name_prefix="territoria-fsync") as pool:
            synced = pool.submit(os.fsync, fh.fileno())
            try:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            finally:
                with _writing(self.root, f"a copy of {name}"):
                    synced.result()
        return digest

    def remove(self, sha256: str) -> None:
        target = self.path(sha256)
        if target.exists():
            target.chmod(0o644)
            target.unlink()

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.objects.rglob("*") if p.is_file())

    def copy_out(self, sha256: str, dest: Path) -> None:
        shutil.copyfile(self.path(sha256), dest)
