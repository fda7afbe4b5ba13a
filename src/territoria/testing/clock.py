"""Age a workspace's files, as files edited a while ago are: what is derived from file stamps
(``core/stamps.py``: the plan cache, the status summary) trusts only stamps older than
``SETTLE_S``, and a test's files were all written a moment ago."""

from __future__ import annotations

import os
import time
from pathlib import Path


def backdate(root: Path, seconds: float = 30.0) -> None:
    """Set the modification time of ``root`` and everything under it (``.territoria/`` left out)
    ``seconds`` in the past (far beyond ``SETTLE_S``; ``testing`` sits beside ``core``, not above it)."""
    past = time.time() - seconds
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".territoria"]
        for name in [*dirs, *files]:
            os.utime(os.path.join(folder, name), (past, past))
    os.utime(root, (past, past))


__all__ = ["backdate"]
