"""The one plugin registry: every extension point of territoria, found the same way.

An extension point is a *group* (``territoria.engines``, ``territoria.connectors``,
``territoria.formats`` ...). Built-in plugins are declared as entry points in
``pyproject.toml`` exactly as a third-party package declares its own, so nothing is found by
scanning module names and a built-in has no privilege a plugin lacks. Entry points are read
once per process (the first lookup of any group) and each plugin is imported only when it
is first asked for.

Code and tests may also ``register`` an object directly (a plugin defined in a test, a
workspace-local pack): it then shadows an entry point of the same name until ``unregister``.

    >>> from territoria.core.registry import registry
    >>> sorted(registry.names("territoria.engines"))
    ['duckdb']
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import EntryPoint, distributions
from typing import Any

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean


@dataclass(frozen=True)
class Group:
    """An extension point: its entry-point group name and what a plugin of it is, in words."""

    name: str
    noun: str
    #: what to tell a user who named a plugin that is not installed
    hint: str = ""


#: every extension point; a group not listed here is refused (a typo must not look like "empty")
GROUPS: dict[str, Group] = {
    g.name: g
    for g in (
        Group("territoria.engines", "engine", "set `engine: duckdb` in territory.yaml for the embedded default"),
        Group("territoria.connectors", "source kind", "see docs/connectors.md for the kinds and their options"),
        Group("territoria.readers", "file format", "set the source's `format:` option to one of them"),
        Group("territoria.formats", "export format", "`territoria export --help` lists them"),
        Group("territoria.packs", "pack", "`territoria init --help` lists the installed packs"),
        Group("territoria.guards", "guard", "install the package providing it, or fix the `secrecy:` key"),
        Group("territoria.routers", "API router", ""),
        Group(
            "territoria.indicator_tests",
            "indicator test kind",
            "built in: not_null, min, max, unique, rows_min, expression (CONTRIBUTING.md: add one)",
        ),
        Group("territoria.steps", "step kind", ""),
        Group("territoria.run_hooks", "run hook", "install the package providing it"),
    )
}


class Registry:
    """Plugins by group and name. Thread-safe; entry points are scanned once per process."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._entry_points: dict[str, dict[str, EntryPoint]] | None = None
        self._loaded: dict[tuple[str, str], Any] = {}
        self._registered: dict[str, dict[str, Any]] = {}

    # -- discovery -----------------------------------------------------------------------
    def _scan(self) -> dict[str, dict[str, EntryPoint]]:
        if self._entry_points is None:
            with self._lock:
                if self._entry_points is None:
                    found: dict[str, dict[str, EntryPoint]] = {g: {} for g in GROUPS}
                    # one pass over the installed distributions for every group at once
                    for dist in distributions():
                        for ep in dist.entry_points:
                            if ep.group in found:
                                found[ep.group].setdefault(ep.name, ep)
                    self._entry_points = found
        return self._entry_points

    @staticmethod
    def _group(group: str) -> Group:
        if group not in GROUPS:
            raise ValueError(f"unknown extension point {group!r}; known: {', '.join(sorted(GROUPS))}")
        return GROUPS[group]

    def names(self, group: str) -> list[str]:
        """Every plugin name of ``group``, sorted (nothing is imported)."""
        self._group(group)
        with self._lock:
            return sorted(set(self._scan()[group]) | set(self._registered.get(group, {})))

    def entry_point(self, group: str, name: str) -> EntryPoint | None:
        """The entry point behind ``name`` (``None`` for an object registered in code)."""
        self._group(group)
        if name in self._registered.get(group, {}):
            return None
        return self._scan()[group].get(name)

    def has(self, group: str, name: str) -> bool:
        return name in self.names(group)

    # -- lookup --------------------------------------------------------------------------
    def get(self, group: str, name: str) -> Any:
        """The plugin object (imported on first use), or a ``ConfigError`` with close matches."""
        meta = self._group(group)
        with self._lock:
            registered = self._registered.get(group, {})
            if name in registered:
                return registered[name]
            key = (group, name)
            if key in self._loaded:
                return self._loaded[key]
            ep = self._scan()[group].get(name)
        if ep is None:
            known = self.names(group)
            raise ConfigError(
                f"unknown {meta.noun} {name!r}; installed: {', '.join(known) or 'none'}",
                hint=did_you_mean(name, known) or meta.hint or None,
            )
        obj = ep.load()
        with self._lock:
            return self._loaded.setdefault(key, obj)

    def items(self, group: str) -> Iterator[tuple[str, Any]]:
        """(name, plugin) for every plugin of ``group``, sorted by name (imports them all)."""
        for name in self.names(group):
            yield name, self.get(group, name)

    # -- in-process registration ---------------------------------------------------------
    def register(self, group: str, name: str, obj: Any) -> None:
        """Add (or shadow) a plugin for this process: a test plugin, a workspace-local pack."""
        self._group(group)
        with self._lock:
            self._registered.setdefault(group, {})[name] = obj

    def unregister(self, group: str, name: str) -> None:
        with self._lock:
            self._registered.get(group, {}).pop(name, None)

    @contextmanager
    def registered(self, group: str, name: str, obj: Any) -> Iterator[None]:
        """``register`` for the duration of a block (what tests use)."""
        self.register(group, name, obj)
        try:
            yield
        finally:
            self.unregister(group, name)

    def rescan(self) -> None:
        """Forget the scanned entry points (after installing a package in this process)."""
        with self._lock:
            self._entry_points = None
            self._loaded.clear()


#: the process-wide registry
registry = Registry()

__all__ = ["GROUPS", "Group", "Registry", "registry"]
