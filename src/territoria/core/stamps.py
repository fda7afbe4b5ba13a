"""File stamps: whether files changed since a result derived from them was saved, for the price
of one ``stat`` each.

A stamp is (inode, size, modification time in ns) of a path, or ``None`` when it is missing, so
a file replaced, rewritten, created or removed changes it. A folder's stamp changes when an
entry is added or removed. File systems keep modification times at a coarse granularity (a few
ms, a second on some), so a file rewritten twice within one tick, to the same size, keeps its
stamp: ``settled`` tells whether the stamps are old enough to be trusted, and what derives a
result from stamps that are not settled does not save it (as git does with its index).

This module is imported by ``territoria status`` before anything else: standard library only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

Stamp = tuple[int, int, int] | None
Stamps = dict[str, Stamp]

#: seconds a stamp must be older than the moment it is saved to be trusted (coarse mtime clocks)
SETTLE_S = 1.0


def stamp(path: str | os.PathLike[str]) -> Stamp:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def stamps(paths: Iterable[str | os.PathLike[str]]) -> Stamps:
    return {os.fspath(p): stamp(p) for p in paths}


def tree(root: Path, suffixes: tuple[str, ...] | None = None) -> list[str]:
    """``root``, its folders and its files (only those ending in ``suffixes`` when given), caches left out."""
    out = [os.fspath(root)]
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        out.extend(os.path.join(folder, d) for d in dirs)
        out.extend(os.path.join(folder, f) for f in sorted(files) if suffixes is None or f.endswith(suffixes))
    return out


def unchanged(saved: Stamps) -> bool:
    """Every path still has the stamp it had when ``saved`` was taken."""
    return all(stamp(path) == value for path, value in saved.items())


def settled(saved: Stamps, at: float | None = None) -> bool:
    """No stamped path was modified less than ``SETTLE_S`` before ``at`` (default: now)."""
    limit = int(((time.time() if at is None else at) - SETTLE_S) * 1e9)
    return all(value is None or value[2] < limit for value in saved.values())


def as_json(saved: Stamps) -> dict[str, list[int] | None]:
    return {path: list(value) if value else None for path, value in saved.items()}


def from_json(data: dict[str, list[int] | None]) -> Stamps:
    return {path: (value[0], value[1], value[2]) if value else None for path, value in data.items()}


__all__ = ["SETTLE_S", "Stamp", "Stamps", "as_json", "from_json", "settled", "stamp", "stamps", "tree", "unchanged"]
