"""Statistical secrecy: primary and secondary cell suppression applied at publication.

``rules`` reads rule sets (YAML), ``primary`` flags the cells that fail a rule (in SQL),
``secondary`` chooses complementary suppressions so that no masked cell can be recovered from
published cells and margins, and ``guard`` ties them to the publish step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from territoria.governance.secrecy.rules import RuleSet, load_ruleset

if TYPE_CHECKING:
    from territoria.governance.secrecy.secondary import Decision, protect_cells

__all__ = ["Decision", "RuleSet", "load_ruleset", "protect_cells"]


def __getattr__(name: str) -> Any:
    # the suppression machinery (numpy, Arrow) loads when a publication needs it, not on import
    if name in ("Decision", "protect_cells"):
        from territoria.governance.secrecy import secondary

        return getattr(secondary, name)
    raise AttributeError(name)
