"""Engines are plugins of the ``territoria.engines`` group of the one registry.

Built-in engines are registered in ``pyproject.toml`` exactly like a third-party one would be;
each is an ``EngineFactory``, so what it can do is known before a store is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from territoria.core.registry import registry
from territoria.engines.base import Capabilities, Engine, EngineFactory

GROUP = "territoria.engines"


def available_engines() -> list[str]:
    return registry.names(GROUP)


def engine_factory(kind: str) -> EngineFactory:
    """The engine plugin ``kind``, or a ``ConfigError`` naming the installed ones."""
    factory: EngineFactory = registry.get(GROUP, kind)
    return factory


def engine_capabilities(kind: str) -> Capabilities:
    """What engine ``kind`` can do, and its store files, without opening a store."""
    return engine_factory(kind).capabilities


def open_engine(kind: str, store_dir: Path, **options: Any) -> Engine:
    return engine_factory(kind).open(store_dir, **options)
