"""One way to replace a JSON file whole: a reader (or a process after a kill) sees the old
content or the new, never half of it.

The text is encoded first, in one call of ``json.dumps`` without ``indent``: that is the C
encoder. ``json.dump`` (and ``json.dumps`` with ``indent``) encode with the pure-Python one, whose
recursive closures leave a reference cycle per call; in a long-lived process (the API, the
daemon) each waits for a pass of the garbage collector, whose full passes stall it. Then it is
written to a temporary file beside the target (owner-only, as everything under ``.territoria``),
flushed to disk unless ``durable=False`` (a cache that can be computed again), and renamed over
the target.

A process killed between the two leaves the temporary file behind. Its name says whose it is
(``.<target>.pid<id>.<random>.tmp``), so that whoever opens or recovers the folder can drop the
ones of writers no longer running (``drop_stale_temps``) without touching a live writer's; a
backup leaves out every ``*.tmp``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


def write_json(
    path: Path,
    data: Any,
    *,
    durable: bool = True,
    sort_keys: bool = False,
    ensure_ascii: bool = True,
    default: Any = None,
) -> None:
    """Replace ``path`` with ``data`` as JSON (see the module's docstring); its folder must exist."""
    text = json.dumps(data, sort_keys=sort_keys, ensure_ascii=ensure_ascii, default=default)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: a temporary file of ``write_json``: the target's name, the writer's process id, mkstemp's letters
TEMP_NAME = re.compile(r"\.(?P<target>.+)\.pid(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp")


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user's too: its file is then left alone)."""
    if pid == os.getpid():
        return True  # another thread of this process may be writing it right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_temps(folder: Path) -> list[Path]:
    """Delete the temporary files ``write_json`` left in ``folder`` (not below it) when its process
    was killed mid-write: those whose writer is no longer running. A file of a running process
    (possibly one that took a dead writer's id: the safe side) is kept. Returns what was deleted."""
    dropped = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    for name in names:
        found = TEMP_NAME.fullmatch(name)
        if found is None or _running(int(found["pid"])):
            continue
        path = folder / name
        path.unlink(missing_ok=True)
        dropped.append(path)
    return dropped


__all__ = ["TEMP_NAME", "drop_stale_temps", "write_json"]
