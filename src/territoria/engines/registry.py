"""Engines are found through the ``territoria.engines`` entry point group.

Built-in engines are registered in ``pyproject.toml`` exactly like a third-party one would be.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean
from territoria.engines.base import Engine


def available_engines() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group="territoria.engines")}


def open_engine(kind: str, store_dir: Path, **options: Any) -> Engine:
    engines = available_engines()
    if kind not in engines:
        raise ConfigError(
            f"unknown engine {kind!r}; installed engines: {', '.join(sorted(engines)) or 'none'}",
            hint=did_you_mean(kind, engines) or "set `engine: duckdb` in territory.yaml for the embedded default",
        )
    factory = engines[kind].load()
    engine: Engine = factory(store_dir, **options)
    return engine
