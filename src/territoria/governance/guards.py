"""Publication guards: what stands between a dataset and its published copy.

A guard receives the SQL of the rows about to be published and returns the SQL of the rows
that may be published, plus a report of what it changed (suppressed cells and why). Guards
are named by the ``secrecy`` key of a dataset or indicator and found in the plugin registry's
``territoria.guards`` group: ``secrecy: statistical.energy`` asks the guard
``statistical`` (the general secrecy engine, ``governance/secrecy``) to apply its rule set
``energy``. A dataset that names a guard that is not installed is **not published**: secrecy
is never best effort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.engines.base import Engine
from territoria.workspace.policies import Policies


@dataclass
class GuardResult:
    select_sql: str
    report: dict[str, Any] = field(default_factory=dict)


class Guard(Protocol):
    def protect(
        self,
        engine: Engine,
        dataset: str,
        select_sql: str,
        rule: str,
        policies: Policies | Mapping[str, Any] | None,
        packs: Sequence[Path] | None = None,
    ) -> GuardResult:
        """``packs``: the folders of the packs the workspace loads (rule sets may ship in them);
        ``None`` outside a workspace (every installed pack)."""
        ...


GUARDS = "territoria.guards"


def get_guard(rule: str) -> Guard:
    """Guards are keyed by the rule family: ``statistical.energy`` is handled by ``statistical``."""
    family = rule.split(".", 1)[0]
    if not registry.has(GUARDS, family):
        raise ConfigError(
            f"secrecy rule {rule!r} has no installed guard; the dataset is not published",
            hint=f"install the package providing guard {family!r}, or fix the `secrecy:` key",
        )
    guard: Guard = registry.get(GUARDS, family)()
    return guard
