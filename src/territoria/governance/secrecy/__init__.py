"""Statistical secrecy: primary and secondary cell suppression applied at publication.

``rules`` reads rule sets (YAML), ``primary`` flags the cells that fail a rule (in SQL),
``secondary`` chooses complementary suppressions so that no masked cell can be recovered from
published cells and margins, and ``guard`` ties them to the publish step.
"""

from territoria.governance.secrecy.rules import RuleSet, load_ruleset
from territoria.governance.secrecy.secondary import Decision, protect_cells

__all__ = ["Decision", "RuleSet", "load_ruleset", "protect_cells"]
