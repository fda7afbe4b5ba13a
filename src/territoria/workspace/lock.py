"""One territoria process at a time per workspace.

An advisory ``flock`` on ``.territoria/lock``: the kernel releases it when the process dies,
even on SIGKILL, so a killed run never leaves a stale lock behind. The holder writes its pid
and command so that the next process can say who is in the way.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from territoria.core.errors import UserError, WorkspaceLockedError


class WorkspaceLock:
    def __init__(self, path: Path, *, wait_seconds: float = 0.0) -> None:
        self.path = path
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # the workspace another user made, or a lock file that is not a file
            raise UserError(
                f"cannot take the workspace lock {self.path}: {exc.strerror or exc}",
                hint=f"run territoria as the user who owns the workspace (ls -la {self.path.parent})",
            ) from exc
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
                    os.close(fd)
                    raise WorkspaceLockedError(
                        f"the workspace is in use by another territoria process ({holder or 'unknown'})",
                        hint="wait for it to finish, or pass --wait SECONDS to queue behind it",
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {' '.join(sys.argv[:3])}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
