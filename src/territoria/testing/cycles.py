"""How many objects a call leaves for the garbage collector (reference cycles).

A long-lived process (the API, the daemon) frees cyclic garbage only in the collector's passes,
whose full ones stall it; a function called per request or per tick should leave none.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any


def cyclic_garbage(call: Callable[[], Any], repeat: int = 3) -> int:
    """Objects only the collector frees after ``repeat`` calls of ``call`` (after one call
    to warm caches, with the collector off meanwhile so it cannot free them by itself)."""
    call()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            call()
        return gc.collect()
    finally:
        gc.enable()


__all__ = ["cyclic_garbage"]
