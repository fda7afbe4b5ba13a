"""One way to replace a JSON file whole: a reader (or a process after a kill) sees the old
content or the new, never half of it.

The text is encoded first, in one call of ``json.dumps`` without ``indent``: that is the C
encoder. ``json.dump`` (and ``json.dumps`` with ``indent``) encode with the pure-Python one, whose
recursive closures leave a reference cycle per call; in a long-lived process (the API, the
daemon) each waits for a pass of the garbage collector, whose full passes stall it. Then it is
written to a temporary file beside the target (owner-only, as everything under ``.territoria``),
flushed to disk unless ``durable=False`` (a cache that can be computed again), and renamed over
the target.
"""

from __future__ import annotations

import json
import os
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


__all__ = ["write_json"]
