"""The observation keys already stored for a month: a sorted int64 array rather than a set.

A month of a hundred-device network holds over a million keys. As a Python set they cost about
70 bytes each, and every batch turned its keys into Python integers to look them up and add them;
sorted in an array they cost 8 bytes, a batch is looked up by binary search and merged in, each a
few whole-array operations.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.int64]


def sorted_distinct(keys: Keys) -> Keys:
    """``np.unique`` by a sort: numpy 2's default hashing is several times slower on int64 keys."""
    ordered = np.sort(np.asarray(keys, np.int64))
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


class KeySet:
    __slots__ = ("_sorted",)

    def __init__(self, keys: Keys | None = None) -> None:
        self._sorted: Keys = sorted_distinct(keys) if keys is not None else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self._sorted)

    def contains(self, keys: Keys) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are in the set (a mask); faster for sorted ``keys``, whose searches
        then start where the previous one ended."""
        if not len(self._sorted) or not len(keys):
            return np.zeros(len(keys), dtype=bool)
        at = np.searchsorted(self._sorted, keys)
        np.minimum(at, len(self._sorted) - 1, out=at)
        found: npt.NDArray[np.bool_] = self._sorted[at] == keys
        return found

    def add(self, keys: Keys) -> None:
        """Add ``keys``: sorted, distinct, and none of them in the set (what ``contains`` refused)."""
        if len(keys):
            self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, keys), keys)
