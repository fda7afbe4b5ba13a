"""A step that failed because the machine refused room (a full disk, a quota, a refused write in a
temporary or spill folder, the engine out of memory) fails with what to free or set, not as an
internal error with a traceback: the error's type and code say so, not its wording alone."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from territoria.core.errors import TerritoriaError
from territoria.landing.store import WRITE_ERRNOS
from territoria.workspace import Workspace

#: what the kernel says when it refuses a write, as an OSError's ``strerror`` (one without an errno:
#: Arrow's)
_REFUSALS = tuple(os.strerror(code) for code in sorted(WRITE_ERRNOS))
#: PostgreSQL's SQLSTATEs for a full disk and for memory (``psycopg`` errors carry them)
_PG_REFUSALS = {"53100": "write", "53200": "memory"}


def _refusal(ws: Workspace, exc: Exception) -> str | None:
    """``write`` or ``memory`` when ``exc`` is the machine refusing room or a write, by the
    error's type and code, never by a bug's message that happens to quote those words."""
    if isinstance(exc, OSError):
        if exc.errno is None:
            return "write" if any(r in str(exc) for r in _REFUSALS) else None
        # "Permission denied" alone may be a read: only in the workspace's private folder
        private = exc.errno == errno.EACCES and str(ws.private) in str(exc.filename)
        return "write" if exc.errno in WRITE_ERRNOS or private else None
    if getattr(exc, "sqlstate", None) in _PG_REFUSALS:
        return _PG_REFUSALS[exc.sqlstate]  # type: ignore[attr-defined]
    if "duckdb" in sys.modules:  # a DuckDB error comes with DuckDB loaded, and only then
        from territoria.engines.duckdb.spill import refusal

        return refusal(exc, ws.private)
    return None


def write_refused(ws: Workspace, exc: Exception) -> TerritoriaError | None:
    """A full disk or a refused write in a temporary folder (``.territoria/tmp``, DuckDB's spill
    folder), or the engine out of memory, is the machine's state, not a bug: said so, with what
    to free or to set."""
    kind = _refusal(ws, exc)
    if kind is None:
        return None
    if hasattr(exc, "sqlstate"):  # the database server's disk or memory, not this machine's
        what = "a file could not be written" if kind == "write" else "the engine ran out of memory"
        return TerritoriaError(
            f"{what}: {exc}",
            hint="free disk space or memory on the PostgreSQL server that holds the store (ask its "
            "administrator); the step's previous outputs are kept",
        )
    spill = f"the engine spills large statements to {_spill_folder(ws)}"
    if kind == "memory":
        return TerritoriaError(
            f"the engine ran out of memory: {exc}",
            hint=f"raise engine_options.memory_limit in territory.yaml, or give the spill folder room: {spill} "
            "(engine_options.temp_directory to move it); the step's previous outputs are kept",
        )
    return TerritoriaError(
        f"a file could not be written: {exc}",
        hint=f"free space on the disk that holds {ws.private} (df -h {ws.private}) and give the territoria "
        f"process write access to it: temporary files go to {ws.tmp_dir}, and {spill} "
        "(engine_options.temp_directory to move it); the step's previous outputs are kept",
    )


def _spill_folder(ws: Workspace) -> str:
    chosen = ws.config.engine_options.get("temp_directory")
    return str(ws.root / Path(str(chosen)).expanduser()) if chosen else f"{ws.store_dir} (beside the store)"


__all__ = ["write_refused"]
