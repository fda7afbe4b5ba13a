"""Readers that turn a landed payload into a SQL relation of raw rows.

A reader is chosen by the source's ``format`` option and found in the plugin registry's
``territoria.readers`` group (the built-in ones are entry points in pyproject.toml, like a
plugin's); each returns a ``RawRelation`` whose columns are the file's own names, in file
order, with a ``_line`` column locating every row in the file (for quarantine reports).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from territoria.connectors.formats.base import RawRelation, Rejected
from territoria.core.registry import registry
from territoria.engines.base import Engine

Reader = Callable[[Engine, Path, dict[str, Any], Path], RawRelation]
READERS = "territoria.readers"


def available_formats() -> list[str]:
    """The formats a source may declare (nothing is imported)."""
    return registry.names(READERS)


def get_reader(fmt: str) -> Reader:
    """The reader of ``fmt``; an unknown format is a ``ConfigError`` with the close names."""
    reader: Reader = registry.get(READERS, fmt)
    return reader


__all__ = ["READERS", "RawRelation", "Reader", "Rejected", "available_formats", "get_reader"]
