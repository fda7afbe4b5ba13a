"""Where DuckDB spills what does not fit in ``memory_limit``, and how it says the machine refused.

``engine_options: {temp_directory: DIR}`` moves the spill folder off DuckDB's default, beside the
store (``.territoria/store/store.duckdb.tmp``), e.g. onto a larger or faster disk. It is checked
when the store opens (a clear ConfigError, not an error in the middle of a run's largest step).

A refused spill is a ``duckdb.IOException`` (the kernel's refusal of a write) or, past
``max_temp_directory_size``, a ``duckdb.OutOfMemoryException``: DuckDB carries no errno in either,
only the kernel's ``strerror`` text at the end of its message ("IO Error: Could not write file
"...": No space left on device"), so a refusal is recognised by the type first, then that text.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import duckdb

from territoria.core.errors import ConfigError

#: the kernel's refusals of a write for want of room or of the right to write (``strerror`` text)
_REFUSED = tuple(
    os.strerror(code) for code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM)
)
#: DuckDB's messages for a write (its spill file, its folder, the store), not for a read
_WRITES = ("Could not write file", "Failed to create directory", "Could not truncate file", "Could not fsync")


def temp_directory(value: Any, store_dir: Path | None) -> Path:
    """``engine_options.temp_directory``: absolute, or relative to the workspace (the store's
    folder is ``.territoria/store``); created if missing, and a folder territoria can write in."""
    path = Path(str(value)).expanduser()
    if not path.is_absolute():
        path = (store_dir.parent.parent if store_dir is not None else Path.cwd()) / path
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):  # root may write where os.access says so, not on a read-only disk
            pass
    except OSError as exc:
        raise ConfigError(
            f"engine_options.temp_directory {path} is not a folder territoria can write in: {exc.strerror or exc}",
            hint="give engine_options.temp_directory a folder territoria can write in (absolute, or relative "
            "to the workspace), or remove it: DuckDB then spills beside the store",
        ) from exc
    return path


def refusal(exc: BaseException, ours: Path | None = None) -> Literal["write", "memory"] | None:
    """``write`` when ``exc`` is DuckDB's error for the kernel refusing one of its writes (a full
    disk, a quota, a file size limit, a read-only or forbidden folder), or refusing to open a
    file in ``ours`` (territoria's own folder, where nothing is the user's to read); ``memory``
    when DuckDB ran out of memory (its limit, and the spill folder full or capped); else None
    (a read refused, a bug)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "memory"
    text = str(exc)
    if not isinstance(exc, duckdb.IOException) or not text.endswith(_REFUSED):
        return None
    written = any(w in text for w in _WRITES) or (ours is not None and f'"{ours}/' in text)
    return "write" if written else None


__all__ = ["refusal", "temp_directory"]
