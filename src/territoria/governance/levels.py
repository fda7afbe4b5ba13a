"""Access levels flow through lineage: a dataset is at least as closed as what it is made from.

A dataset derived from restricted or personal inputs inherits the strictest of their levels,
unless its definition declares a release rule: a secrecy rule set applied on publication that
suppresses cells itself (primary rules or secondary suppression; ``release_rule``), or a declassification signed in
``policies.yaml`` (``declassify:`` with the dataset, the level, who decided and why). The
effective level is what the API enforces; ``config validate`` reports each declared level below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.core.errors import TerritoriaError
from territoria.core.vocab import AccessLevel
from territoria.workspace.policies import Declassification, Policies

if TYPE_CHECKING:
    from territoria.governance.secrecy.rules import RuleSet

RANK = {AccessLevel.open: 0, AccessLevel.restricted: 1, AccessLevel.personal: 2}


def strictest(levels: Iterable[AccessLevel]) -> AccessLevel:
    return max(levels, key=RANK.__getitem__, default=AccessLevel.open)


@dataclass(frozen=True)
class Node:
    """What the computation needs of a dataset: its declared level, release rule and inputs."""

    declared: AccessLevel
    inputs: tuple[str, ...] = ()
    #: the secrecy rule set its publication applies, if any: a release rule
    secrecy: str | None = None


@dataclass(frozen=True)
class Level:
    dataset: str
    declared: AccessLevel
    effective: AccessLevel
    #: the input whose level the dataset inherits (None: its own declaration holds)
    inherited_from: str | None
    #: how the dataset is released below its inputs' level, if it is
    released_by: str | None

    @property
    def understated(self) -> bool:
        return RANK[self.declared] < RANK[self.effective]


def _statistical(
    secrecy: str, policies: Policies | Mapping[str, Any] | None, packs: Sequence[Path] | None
) -> RuleSet | None:
    from territoria.governance.secrecy.rules import load_ruleset

    try:
        return load_ruleset(secrecy.partition(".")[2], policies, packs)
    except TerritoriaError:
        return None


def suppresses(
    secrecy: str | None, policies: Policies | Mapping[str, Any] | None = None, packs: Sequence[Path] | None = None
) -> bool | None:
    """Whether the guard ``secrecy`` names suppresses cells of its dataset (a statistical rule set
    with primary rules or secondary suppression; any other guard is taken to); None when the
    statistical rule set cannot be read."""
    if not secrecy:
        return False
    if secrecy.partition(".")[0] != "statistical":
        return True
    ruleset = _statistical(secrecy, policies, packs)
    if ruleset is None:
        return None
    return bool(ruleset.rules) or ruleset.secondary is not None


def unreleased_columns(
    secrecy: str,
    columns: Sequence[str],
    policies: Policies | Mapping[str, Any] | None = None,
    packs: Sequence[Path] | None = None,
) -> list[str]:
    """The columns of a dataset that the statistical rule set ``secrecy`` does not vouch for: a
    suppressed cell nulls its measures only, and every other column is published as it is, in
    that cell too. A column the rule set neither nulls (``measures``), nor keys its cells by (the
    secondary suppression's dimensions, their parents and partition), nor lists as ``verbatim``
    is data the rule set never looked at: a restricted input's column copied into the dataset
    would be released with it. Other guards are trusted; an unreadable rule set vouches for none."""
    if secrecy.partition(".")[0] != "statistical":
        return []
    ruleset = _statistical(secrecy, policies, packs)
    if ruleset is None:
        return list(columns)
    vouched = {"secret", *ruleset.measures, *ruleset.verbatim}
    if ruleset.secondary is not None:
        vouched.update(ruleset.secondary.partition)
        for d in ruleset.secondary.dimensions:
            vouched.update(c for c in (d.column, d.parent) if c)
    return [c for c in columns if c not in vouched]


def release_rule(
    secrecy: str | None,
    policies: Policies | Mapping[str, Any] | None = None,
    packs: Sequence[Path] | None = None,
    columns: Sequence[str] | None = None,
) -> str | None:
    """``secrecy`` when it is a release rule: a statistical rule set releases a dataset below its
    inputs' level only when it suppresses cells itself (primary rules or secondary suppression).
    One with neither (``energy_derived``, ``filosofi_derived``: the guard nulls what the SQL
    flags) protects the secret cells of one input and nothing else: an unrelated restricted input
    (e.g. sensor readings beside Filosofi rates) must keep its level. Given the dataset's
    published ``columns``, it releases only when it vouches for each (``unreleased_columns``). A
    rule set that cannot be read releases nothing (its dataset is not published either). Other
    guards are trusted."""
    if not secrecy or not suppresses(secrecy, policies, packs):
        return None
    if columns is not None and unreleased_columns(secrecy, columns, policies, packs):
        return None
    return secrecy


def effective_levels(nodes: Mapping[str, Node], declassified: Iterable[Declassification] = ()) -> dict[str, Level]:
    """The effective level of every dataset of a lineage graph (inputs not in the graph are ignored)."""
    signed = {d.dataset: d for d in declassified}
    done: dict[str, Level] = {}
    for name in nodes:
        _visit(name, frozenset(), nodes, signed, done)
    return done


def _visit(
    name: str,
    path: frozenset[str],
    nodes: Mapping[str, Node],
    signed: Mapping[str, Declassification],
    done: dict[str, Level],
) -> AccessLevel:
    """``name``'s effective level, its inputs' first, into ``done``. A module function, not a
    closure calling itself: that closure made a reference cycle per call, for the collector's
    passes (the API draws the levels again for each new publication or policy)."""
    if name in done:
        return done[name].effective
    node = nodes[name]
    strict_input, strict = None, AccessLevel.open
    for i in node.inputs:
        if i in nodes and i not in path:  # a cycle is the planner's error, not ours
            level = _visit(i, path | {name}, nodes, signed, done)
            if RANK[level] > RANK[strict]:
                strict_input, strict = i, level
    released_by = None
    if RANK[strict] > RANK[node.declared]:
        if name in signed:
            d = signed[name]
            strict = strictest([d.level, node.declared])
            released_by = f"declassified by {d.by}: {d.why}"
        elif node.secrecy:
            strict, released_by = node.declared, f"secrecy rule set {node.secrecy!r}"
    effective = strictest([node.declared, strict])
    inherited = strict_input if RANK[effective] > RANK[node.declared] else None
    done[name] = Level(name, node.declared, effective, inherited, released_by)
    return effective
