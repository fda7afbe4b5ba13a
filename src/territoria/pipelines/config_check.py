"""`territoria config validate`: every problem of a workspace's configuration, as a report.

Each problem is an :class:`~territoria.core.yamlio.Issue`: a stable slug, a message, the file
and line, and how to fix it. Every file is checked (``territory.yaml``, ``policies.yaml``, each
``sources/*.yaml``) and every problem of each is listed; the check touches no data (nothing is
fetched, the store is not opened). The packs and models are planned only once the files are
clean, since a plan over a broken file would only repeat its problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import yaml
from pydantic import ValidationError

from territoria.catalog.model import DatasetEntry
from territoria.connectors.spec import get_connector
from territoria.core.errors import TerritoriaError
from territoria.core.suggest import did_you_mean
from territoria.core.yamlio import InvalidConfigFile, Issue, compose, issues_of, line_of, load_model, present
from territoria.footprint.params import load_policy
from territoria.governance.levels import Level, Node, effective_levels, release_rule, suppresses, unreleased_columns
from territoria.governance.personal.gate import unknown_datasets
from territoria.governance.secrecy.rules import load_ruleset
from territoria.pipelines.plan import Plan, build_plan
from territoria.reference.referential import referential
from territoria.workspace import Workspace
from territoria.workspace.model import TerritoryConfig
from territoria.workspace.policies import FILE as POLICIES
from territoria.workspace.policies import load_policies
from territoria.workspace.workspace import CONFIG


def _issues(exc: TerritoriaError, where: str) -> list[Issue]:
    if isinstance(exc, InvalidConfigFile):
        return exc.issues
    return [Issue(where, None, exc.message, exc.hint, exc.slug)]


#: the columns of each published dataset (``publication.snapshot.published_columns``)
Columns = Mapping[str, Sequence[str]]


def check_workspace(root: Path, columns: Columns | None = None) -> list[Issue]:
    """``columns``: those of the current publication, when there is one (a secrecy rule set
    releases a dataset below its inputs' level only for the columns it vouches for)."""
    problems = _check_territory(root / CONFIG)
    problems += _check_sources(root / "sources")
    problems += _check_policies(root / POLICIES)
    if not problems:
        try:
            plan = build_plan(Workspace(root))
        except TerritoriaError as exc:
            problems.append(Issue("packs and models", None, exc.message, exc.hint, exc.slug))
        else:
            problems += check_levels(plan, root / POLICIES, columns)
            problems += check_personal(plan, root / POLICIES)
            problems += check_operations(plan, root / POLICIES)
    return problems


def check_operations(plan: Plan, policies: Path) -> list[Issue]:
    """Schedules and freshness limits of ``operations:`` name sources the workspace has."""
    from territoria.core.suggest import did_you_mean

    ops = load_policies(policies).operations
    sources = sorted(d for d, step in plan.producers.items() if plan.steps[step].kind == "ingest")
    problems = []
    for section, names in (("schedules", ops.schedules), ("max_age", ops.alerts.max_age)):
        loc = ("operations", section) if section == "schedules" else ("operations", "alerts", section)
        for name in names:
            if name not in sources:
                hint = did_you_mean(name, sources) or f"sources: {', '.join(sources)}"
                line = line_of(compose(policies), (*loc, name))
                message = f"{'.'.join(loc)}: {name!r} is not a source"
                problems.append(Issue(POLICIES, line, message, hint, "config-error"))
    return problems


def check_personal(plan: Plan, policies: Path) -> list[Issue]:
    """Processing and retention rules must name datasets of the workspace."""
    known = {name for name in plan.datasets if "." not in name}
    return [
        Issue(
            POLICIES,
            None,
            f"{section}: no dataset {name!r} in this workspace: its rules protect nothing",
            did_you_mean(name, sorted(known)) or "see `territoria catalog` for the datasets' names",
            "unknown-dataset",
        )
        for section, name in unknown_datasets(load_policies(policies), known)
    ]


def plan_levels(plan: Plan, policies: Path, columns: Columns | None = None) -> dict[str, Level]:
    """The effective access level of every dataset of the plan (what the API enforces), given the
    published ``columns`` of the datasets when they are known."""
    typed = load_policies(policies)
    packs = list(plan.packs.values())

    def released(name: str, secrecy: str | None) -> str | None:
        published = None if columns is None else columns.get(name.removeprefix("published."), [])
        return release_rule(secrecy, typed, packs, published)

    nodes = {
        name: Node(info.access, tuple(plan.steps[plan.producers[name]].inputs), released(name, info.secrecy))
        for name, info in plan.datasets.items()
    }
    return effective_levels(nodes, typed.declassify)


def check_levels(plan: Plan, policies: Path, columns: Columns | None = None) -> list[Issue]:
    """A declared access level below what the dataset's inputs give it (the API enforces the latter)."""
    problems = []
    packs, typed = list(plan.packs.values()), load_policies(policies)
    for name, level in plan_levels(plan, policies, columns).items():
        if level.understated and not name.startswith("published."):
            secrecy = plan.datasets[name].secrecy
            message = (
                f"{name!r} is declared {level.declared.value} but is made from {level.inherited_from!r}, "
                f"{level.effective.value}: the API serves it as {level.effective.value}"
            )
            hint = (
                f"declare `access: {level.effective.value}`, apply a secrecy rule set that suppresses cells, "
                f"or sign a `declassify:` entry for {name!r} in {POLICIES}"
            )
            loose = (
                unreleased_columns(secrecy, columns.get(name, []), typed, packs)
                if secrecy and columns is not None and suppresses(secrecy, typed, packs)
                else []
            )
            if loose:
                message += (
                    f"; rule set {secrecy!r} nulls its measures in a suppressed cell, and its columns "
                    f"{', '.join(loose)} are published as they are"
                )
                hint = (
                    f"list each in the rule set's `measures:` (nulled with the value) or `verbatim:` (labels, "
                    f"flags: published as they are), or leave it out of {name!r}"
                )
            problems.append(Issue(name, None, message, hint, "access-below-inputs"))
    return problems


def _check_territory(path: Path) -> list[Issue]:
    try:
        found = present(path)
    except TerritoriaError as exc:
        return _issues(exc, CONFIG)
    if not found:
        return [
            Issue(
                CONFIG,
                None,
                f"{path.parent} is not a territoria workspace (no {CONFIG})",
                "create one with `territoria init DIR --epci SIREN`, or pass --workspace DIR",
                "not-found",
            )
        ]
    try:
        config = load_model(path, TerritoryConfig, label=CONFIG)
    except TerritoriaError as exc:
        return _issues(exc, CONFIG)
    known = referential().communes
    unknown = [(i, code) for i, code in enumerate(config.communes) if code not in known]
    node = compose(path) if unknown else None
    return [
        Issue(
            CONFIG,
            line_of(node, ("communes", i)),
            f"commune {code} is not in the referential",
            _hint(code),
            "unknown-commune",
        )
        for i, code in unknown
    ]


def _hint(code: str) -> str | None:
    """The referential's hint for a code it lacks: close codes, the commune a former one is part of."""
    try:
        referential().commune(code)
    except TerritoriaError as exc:
        return exc.hint
    return None


def _check_sources(folder: Path) -> list[Issue]:
    problems: list[Issue] = []
    seen: dict[str, str] = {}
    try:
        if not present(folder, folder=True):
            return problems
    except TerritoriaError as exc:
        return _issues(exc, "sources")
    for path in sorted(folder.glob("*.yaml")):
        where = f"sources/{path.name}"
        try:
            entry = load_model(path, DatasetEntry, label=where)
        except TerritoriaError as exc:
            problems += _issues(exc, where)
            continue
        node = compose(path)
        if path.stem != entry.identifier:
            problems.append(
                Issue(
                    where,
                    line_of(node, ("identifier",)),
                    f"the file declares identifier {entry.identifier!r}",
                    f"rename the file to {entry.identifier}.yaml",
                    "file-name-mismatch",
                )
            )
        if entry.identifier in seen:
            problems.append(
                Issue(
                    where,
                    line_of(node, ("identifier",)),
                    f"{seen[entry.identifier]} declares the identifier {entry.identifier!r} too",
                    "rename one of them",
                    "duplicate-identifier",
                )
            )
        seen[entry.identifier] = where
        problems += _check_source_options(entry, node, where)
    return problems


def _check_source_options(entry: DatasetEntry, node: yaml.Node | None, where: str) -> list[Issue]:
    """The ``source:`` block against its connector's options model, located in the file."""
    try:
        options = get_connector(entry.source.kind).Options
    except TerritoriaError as exc:
        return [Issue(where, line_of(node, ("source", "kind")), exc.message, exc.hint, exc.slug)]
    try:
        options.model_validate(entry.source.options)
    except ValidationError as exc:
        return issues_of(exc, options, node, where, prefix=("source",))
    return []


def _check_policies(path: Path) -> list[Issue]:
    """The file against its model, then what only its readers know: grid zones, secrecy rule sets."""
    try:
        policies = load_policies(path)
    except TerritoriaError as exc:
        return _issues(exc, POLICIES)
    checks: list[tuple[tuple[str, ...], Callable[[], object]]] = [
        (("footprint", "grid"), partial(load_policy, policies))
    ]
    checks += [(("secrecy", name), partial(load_ruleset, name, policies)) for name in policies.secrecy]
    problems: list[Issue] = []
    for loc, check in checks:
        try:
            check()
        except TerritoriaError as exc:
            # a rule set's problems are located at its section: the merged rules have no line
            line, within = line_of(compose(path), loc), ".".join(loc) + ": "
            if not isinstance(exc, InvalidConfigFile):
                within = ""
            problems += [Issue(POLICIES, line, within + i.message, i.hint, i.slug) for i in _issues(exc, POLICIES)]
    return problems
