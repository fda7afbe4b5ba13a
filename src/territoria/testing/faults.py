"""The kernel's refusals, injected where a file is opened: the tests run as root here, whom
``chmod 000`` does not stop, yet a workspace made by another user refuses territoria just so."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock


@contextmanager
def unreadable(*paths: Path) -> Iterator[None]:
    """Within the block, opening one of ``paths`` (``Path.open``, ``open`` through it, or
    ``os.open``) fails with EACCES, as for a file the process may not read."""
    refused = {Path(p) for p in paths}
    path_open, os_open = Path.open, os.open

    def check(path: Any) -> None:
        if isinstance(path, str | os.PathLike) and Path(path) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    def open_path(self: Path, *args: Any, **kwargs: Any) -> Any:
        check(self)
        return path_open(self, *args, **kwargs)

    def open_fd(path: Any, *args: Any, **kwargs: Any) -> int:
        check(path)
        return os_open(path, *args, **kwargs)

    with mock.patch.object(Path, "open", open_path), mock.patch.object(os, "open", open_fd):
        yield
