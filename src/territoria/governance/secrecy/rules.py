"""Secrecy rule sets, declared in YAML.

A pack ships its rule sets in ``secrecy.yaml`` next to ``pack.yaml`` (an installed pack or a
workspace-local one, declared with ``path:`` in territory.yaml); a dataset or indicator names
one with ``secrecy: statistical.<ruleset>``. ``policies.yaml`` may override any field of a
rule by its id (``secrecy: {<ruleset>: {rules: {<rule-id>: {threshold: 11}}}}``), e.g. to
apply the pre-2020 "more than 10" wording instead of "at least 10".
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from territoria.catalog.packs import available_packs, load_pack
from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean
from territoria.core.yamlio import read_yaml, validate_data
from territoria.engines.base import SqlExpression
from territoria.workspace.policies import Policies, as_policies

Operator = Literal[">=", ">"]


class Rule(BaseModel):
    """One primary rule; a cell that fails it is suppressed.

    - ``min_count``: publish only if ``column <operator> threshold`` (delivery points, units,
      households). Empty cells (count 0) disclose nobody and are published unless
      ``ignore_zero`` is false.
    - ``dominance``: suppress if ``largest > share * total`` (the largest unit's contribution).
    - ``masked_input``: the value was already masked upstream (``s`` in the source file);
      published as secret and left out of the additive structure (nobody knows it).
    - ``expression``: suppress where the SQL boolean ``sql`` holds.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["min_count", "dominance", "masked_input", "expression"]
    column: str | None = None
    operator: Operator = ">="
    threshold: float | None = None
    ignore_zero: bool = True
    largest: str | None = None
    total: str | None = None
    share: float = 0.85
    sql: str | None = None
    #: the rule applies only to rows where this SQL boolean holds (e.g. ``sector = 'residentiel'``)
    when: str | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        needs = {
            "min_count": ("column", "threshold"),
            "dominance": ("largest", "total"),
            "masked_input": ("column",),
            "expression": ("sql",),
        }[self.kind]
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"rule {self.id!r} ({self.kind}) needs {', '.join(missing)}")
        if not 0 < self.share <= 1:
            raise ValueError(f"rule {self.id!r}: share must be in (0, 1]")
        return self


class Dimension(BaseModel):
    """A key column of the table and how its values nest.

    ``parent``: a column giving each value's parent value (commune -> EPCI, IRIS -> commune);
    rows whose value is a parent are the margins. ``total``: the value that stands for the sum
    of all the others (``TOUS`` sectors). Neither: the column has no published margin (years
    when sums across years are not published).
    """

    model_config = ConfigDict(extra="forbid")

    column: str
    parent: str | None = None
    total: str | None = None


class Secondary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimensions: list[Dimension]
    #: key columns that split the table into independent tables (e.g. ``unit``)
    partition: list[str] = Field(default_factory=list)
    #: SQL cost of suppressing a cell; complements are chosen to minimise it
    cost: str = "1"


class Share(BaseModel):
    """Cells this rule set's table publishes that another published table publishes too.

    The two tables are protected jointly (``governance/secrecy/joint.py``): a cell suppressed in
    one is suppressed in the other, until neither adds a suppression.
    """

    model_config = ConfigDict(extra="forbid")

    #: the table this rule set protects, and the other table (both by dataset name)
    dataset: str
    with_: str = Field(alias="with")
    #: the other table's rule set
    ruleset: str
    #: this table's key column -> the other table's column naming the same cell
    keys: dict[str, str]
    #: SQL booleans selecting the shared rows of this table and of the other (default: all)
    where: str | None = None
    other_where: str | None = None
    #: SQL boolean marking the other table's shared rows that are lower bounds (sums leaving out
    #: cells masked upstream): not the same quantity as this table's cell, and this cell minus
    #: that bound is what was masked, which can pin a cell this table suppresses. They are
    #: suppressed in the other table (and protected by its margins) whatever this table does.
    other_lower_bound: str | None = None
    #: the same for this table's shared rows: a lower bound here (an arrondissement or a NAF row
    #: masked upstream) minus the other table's complete cell is what was masked. Such a row is
    #: suppressed in this table (and protected by its margins) when the other's cell is complete.
    lower_bound: str | None = None


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    title: str = ""
    description: str = ""
    #: columns nulled in every suppressed cell (values and whatever could reveal them)
    measures: list[str] = Field(default_factory=lambda: ["value"])
    rules: list[Rule] = Field(default_factory=list)
    secondary: Secondary | None = None
    #: an outsider's interval for a suppressed cell must reach ±protection of its value
    #: (``territoria secrecy audit``; default 10 %)
    protection: float | None = Field(default=None, gt=0, lt=1)
    #: enforce the protection range at publication: complements are added until no suppressed
    #: cell can be pinned inside it (``governance/secrecy/protection.py``)
    protection_loop: bool = False
    #: the step each measure is published rounded to (the protection loop's outsider reads a
    #: published value as an interval of that width); a measure not listed is exact
    rounding: dict[str, float] = Field(default_factory=dict)
    #: tables sharing cells with this one, protected with one set of decisions
    shares: list[Share] = Field(default_factory=list)
    #: columns published as they are, suppressed cells included (labels, quality flags, a count a
    #: rule compares): with the measures and the secondary suppression's dimensions, the columns
    #: this rule set vouches for when it releases a dataset below its inputs' level
    #: (``governance.levels.unreleased_columns``)
    verbatim: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        return self


def _pack_rulesets(packs: Sequence[Path] | None) -> dict[str, tuple[dict[str, Any], Path]]:
    """Built-in presets, then the rule sets the packs ship (``secrecy.yaml`` beside ``pack.yaml``).

    ``packs`` are the folders of the packs a workspace loads, its local ones included; without
    a workspace (``None``), every installed pack.
    """
    folders = packs if packs is not None else [load_pack(name).directory for name in available_packs()]
    found: dict[str, tuple[dict[str, Any], Path]] = {}
    files = [Path(__file__).with_name("presets.yaml"), *(folder / "secrecy.yaml" for folder in folders)]
    for path in files:
        if not path.is_file():
            continue
        for name, body in _rulesets_file(path).items():
            found[name] = (body, path)  # shared with the file cache: read-only (overrides merge a copy)
    return found


# secrecy.yaml parsed once per file version (the plan asks for the rule sets of every publish step)
_FILES: dict[tuple[Path, int, int], dict[str, Any]] = {}


def _rulesets_file(path: Path) -> dict[str, Any]:
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _FILES:
        _FILES[key] = dict((read_yaml(path) or {}).get("rulesets") or {})
    return _FILES[key]


def _merge_overrides(body: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(body)
    rule_over = override.get("rules")
    if isinstance(rule_over, dict):
        by_id = {r["id"]: r for r in merged.get("rules", [])}
        for rule_id, fields in rule_over.items():
            if rule_id not in by_id:
                raise ConfigError(
                    f"policies.yaml overrides unknown secrecy rule {rule_id!r}",
                    hint=did_you_mean(rule_id, by_id) or f"rules: {', '.join(by_id)}",
                )
            by_id[rule_id].update(fields)
    elif rule_over is not None:
        merged["rules"] = rule_over
    merged.update({k: v for k, v in override.items() if k != "rules"})
    return merged


def least_counts(pack: Path, policies: Mapping[str, Any] | None) -> dict[str, int]:
    """``secrecy.<rule set>.<rule id>.least``: the smallest count each ``min_count`` rule of the
    rule sets a pack ships (its ``secrecy.yaml``) publishes, as ``policies.yaml`` sets it (``>= 10``
    gives 10, ``> 10`` gives 11). A model that must agree with a rule (energie_cellules flags a part
    the rules would suppress) reads it with ``param()``: a copy of the number would not follow a
    threshold a territory raised (nor does it follow a ``when:``: ``least_expressions`` does)."""
    least: dict[str, int] = {}
    for name, rules in _effective_rules(pack, policies).items():
        least.update({f"secrecy.{name}.{rule['id']}.least": n for rule, n in _counted(rules)})
    return least


def least_expressions(pack: Path, policies: Mapping[str, Any] | None) -> dict[str, SqlExpression]:
    """``secrecy.<rule set>.least.<column>``: SQL giving, on a row of the table, the smallest
    ``column`` the rule set's ``min_count`` rules publish there: each rule's least count where its
    ``when:`` holds on the row (the greatest where several do), 0 where none does. The rules are
    those ``least_counts`` reads. A model that flags a part the rules would suppress
    (energie_cellules) compares the part with it: the rules' thresholds alone would leave it to
    copy the rules' split of the rows (which sectors need 10 sites), which a territory's
    ``policies.yaml`` may change (a sector moved under the stricter rule)."""
    out: dict[str, SqlExpression] = {}
    for name, rules in _effective_rules(pack, policies).items():
        by_column: dict[str, list[str]] = {}
        for rule, n in _counted(rules):
            when = rule.get("when")
            # a null condition is not true: the rule does not apply (as the guard's coalesce(..., false))
            case = f"CASE WHEN ({when}) THEN {n} ELSE 0 END" if when else str(n)
            by_column.setdefault(str(rule.get("column")), []).append(case)
        for column, cases in by_column.items():
            out[f"secrecy.{name}.least.{column}"] = SqlExpression(
                cases[0] if len(cases) == 1 else f"greatest({', '.join(cases)})"
            )
    return out


def least_params(pack: Path, policies: Mapping[str, Any] | None) -> dict[str, int | SqlExpression]:
    """The parameters the plan gives every model of ``pack`` from its rules: ``least_counts`` and
    ``least_expressions``."""
    return {**least_counts(pack, policies), **least_expressions(pack, policies)}


def _effective_rules(pack: Path, policies: Mapping[str, Any] | None) -> dict[str, list[Mapping[str, Any]]]:
    """Per rule set of the pack's ``secrecy.yaml``: its rules with ``policies.yaml``'s overrides,
    then the shipped rules an override removed (the safe side: they keep counting). ``policies``
    ``None`` (unreadable: the publish step's guard says why) gives the shipped rules."""
    path = pack / "secrecy.yaml"
    if not path.is_file():
        return {}
    overrides = (policies or {}).get("secrecy") or {}
    found: dict[str, list[Mapping[str, Any]]] = {}
    for name, shipped in _rulesets_file(path).items():
        rules = [r for r in shipped.get("rules") or [] if isinstance(r, Mapping)]
        if isinstance(overrides.get(name), Mapping):
            # an unknown rule id: the guard refuses the rule set and publishes nothing
            with contextlib.suppress(ConfigError):
                merged = _merge_overrides(shipped, dict(overrides[name])).get("rules") or []
                kept = [r for r in merged if isinstance(r, Mapping)]
                ids = {r.get("id") for r in kept}
                rules = kept + [r for r in rules if r.get("id") not in ids]
        found[name] = rules
    return found


def _counted(rules: list[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], int]]:
    """The ``min_count`` rules with a numeric threshold, each with the least count it publishes."""
    out = []
    for rule in rules:
        threshold = rule.get("threshold")
        if rule.get("kind") != "min_count" or not isinstance(rule.get("column"), str):
            continue
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
            continue
        strict = rule.get("operator", ">=") == ">"
        out.append((rule, math.floor(threshold) + 1 if strict else math.ceil(threshold)))
    return out


def sharing_ruleset_names(policies: Policies | Mapping[str, Any] | None = None) -> list[str]:
    """The rule sets (shipped by the installed packs or declared in ``policies.yaml``) that declare
    ``shares:``, sorted."""
    overrides = as_policies(policies).secrecy
    names = {n for n, (body, _) in _pack_rulesets(None).items() if body.get("shares")}
    names.update(n for n, body in overrides.items() if body.shares)
    return sorted(names)


def load_ruleset(
    name: str, policies: Policies | Mapping[str, Any] | None = None, packs: Sequence[Path] | None = None
) -> RuleSet:
    """The rule set ``name`` from the packs (folders; every installed pack when ``None``), with the
    workspace's overrides applied."""
    shipped = _pack_rulesets(packs)
    overrides = as_policies(policies).secrecy
    if name not in shipped and name not in overrides:
        raise ConfigError(
            f"unknown secrecy rule set {name!r}; the dataset is not published",
            hint=did_you_mean(name, list(shipped) + list(overrides))
            or "declare it in a pack's secrecy.yaml or under `secrecy:` in policies.yaml",
        )
    body, where = shipped.get(name, ({}, Path("policies.yaml")))
    if name in overrides:
        body = _merge_overrides(body, overrides[name].model_dump(exclude_none=True))
    label = f"secrecy rule set {name!r} ({where}" + (
        " with the overrides of policies.yaml)" if name in overrides else ")"
    )
    return validate_data({**body, "name": name}, RuleSet, label=label, docs="docs/secrecy.md")
