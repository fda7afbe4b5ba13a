"""Build the step graph of a workspace: its sources, its packs' models and indicators, and
the publication of what is marked public."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territoria.catalog.packs import load_pack
from territoria.core.errors import ConfigError, UserError
from territoria.core.stamps import Stamps
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.engines.registry import engine_capabilities
from territoria.governance.personal.gate import definition as personal_definition
from territoria.governance.personal.gate import is_personal
from territoria.governance.secrecy.groups import rules_fingerprint, shared_datasets
from territoria.governance.secrecy.rules import least_params
from territoria.indicators.definition import IndicatorDef
from territoria.pipelines.spec import (
    PARAM,
    DatasetInfo,
    IndicatorStep,
    IngestStep,
    ModelStep,
    PublishStep,
    SqlStep,
    Step,
    sql_refs,
)
from territoria.workspace import Workspace
from territoria.workspace.policies import as_policies


@dataclass
class Plan:
    steps: dict[str, Step]
    datasets: dict[str, DatasetInfo]
    order: list[str]
    producers: dict[str, str]
    params: dict[str, dict[str, Any]]
    #: the folders of the packs the workspace loads, by name (installed or workspace-local)
    packs: dict[str, Path] = field(default_factory=dict)
    #: step -> why it waits before it runs (a parameter the territory has not set yet)
    waiting: dict[str, str] = field(default_factory=dict)
    #: stamps of the files the plan is built from, and their hash; ``None`` when unknown (``plan_cache.py``)
    stamps: Stamps | None = None
    fingerprint: str | None = None

    def consumers(self, dataset: str) -> list[str]:
        return [s.id for s in self.steps.values() if dataset in s.inputs]

    def downstream_steps(self, step_ids: set[str]) -> set[str]:
        result = set(step_ids)
        frontier = list(step_ids)
        while frontier:
            step = self.steps[frontier.pop()]
            for out in step.outputs:
                for consumer in self.consumers(out):
                    if consumer not in result:
                        result.add(consumer)
                        frontier.append(consumer)
        return result

    def select(self, names: list[str]) -> set[str]:
        """Steps named (by step id, dataset, or pack) and everything downstream of them."""
        chosen: set[str] = set()
        for name in names:
            if name in self.steps:
                chosen.add(name)
            elif name in self.producers:
                chosen.add(self.producers[name])
            elif any(s.pack == name for s in self.steps.values()):
                chosen.update(s.id for s in self.steps.values() if s.pack == name)
            else:
                candidates = list(self.steps) + list(self.producers)
                raise UserError(
                    f"--only {name!r} matches no step, dataset or pack",
                    hint=did_you_mean(name, candidates) or "see `territoria status` for the names",
                )
        return self.downstream_steps(chosen)


def _territory_params(ws: Workspace) -> dict[str, Any]:
    c = ws.config
    return {
        "territory.name": c.name,
        "territory.epci": c.epci or "",
        # the rows summarising the whole territory: mesh `epci` and its SIREN, or `territoire` and its slug
        "territory.mesh": c.mesh,
        "territory.code": c.code,
        "territory.communes": list(c.communes),
    }


def _readable_policies(ws: Workspace) -> dict[str, Any] | None:
    """``policies.yaml`` as set, or ``None`` when it does not validate: the plan still builds (the
    publish steps' guards refuse such a file and say where it is wrong)."""
    try:
        return ws.policies()
    except ConfigError:
        return None


def _on_territory(ind: IndicatorDef, mesh: str) -> IndicatorDef:
    """A pack's ``epci`` mesh is the whole territory's: a territory made of communes says ``territoire``."""
    if mesh == "epci" or "epci" not in ind.meshes:
        return ind
    return ind.model_copy(update={"meshes": [mesh if m == "epci" else m for m in ind.meshes]})


def _shared(dataset: str, secrecy: str | None, policies: dict[str, Any], known: dict[str, DatasetInfo]) -> list[str]:
    """The datasets whose cells a statistical rule set decides together with ``dataset``'s."""
    if not (secrecy or "").startswith("statistical."):
        return []
    return [d for d in shared_datasets(dataset, policies) if d in known]


def unset_parameters(step: Step) -> list[str]:
    """The parameters a SQL step uses that the workspace left unset (``null``), in SQL order."""
    if not isinstance(step, SqlStep):
        return []
    return [k for k in dict.fromkeys(PARAM.findall(step.sql)) if step.params.get(k) is None]


def _unset_parameters(steps: dict[str, Step]) -> dict[str, str]:
    """Steps whose SQL uses a parameter left unset (``null`` in territory.yaml): they wait for
    the territory's own value rather than compute with someone else's."""
    waiting: dict[str, str] = {}
    for step in steps.values():
        unset = unset_parameters(step)
        if unset:
            waiting[step.id] = (
                f"waiting for parameter {', '.join(unset)}: set it under packs.{step.pack}.parameters in territory.yaml"
            )
    return waiting


def build_plan(ws: Workspace) -> Plan:
    steps: dict[str, Step] = {}
    datasets: dict[str, DatasetInfo] = {}
    params: dict[str, dict[str, Any]] = {}
    packs: dict[str, Path] = {}

    def add_dataset(key: str, info: DatasetInfo, where: str) -> None:
        if key in datasets:
            raise ConfigError(f"dataset {key!r} is declared twice ({where})", hint="rename one of them")
        datasets[key] = info

    entries = ws.entries()
    policies = _readable_policies(ws)  # read once: the rules' thresholds below, the personal gate here
    # read typed only when a source holds personal data (its state is part of its definition); such
    # a source needs a valid file: read again, an invalid one raises the error the gate must not pass
    typed = (
        as_policies(policies if policies is not None else ws.policies())
        if any(is_personal(e) for e in entries.values())
        else None
    )
    for entry in entries.values():
        add_dataset(
            entry.identifier,
            DatasetInfo(
                entry.identifier, "staging", entry.title, entry.access, entry.pack, entry.secrecy, entry.publish
            ),
            f"sources/{entry.identifier}.yaml",
        )
        steps[f"ingest:{entry.identifier}"] = IngestStep(
            id=f"ingest:{entry.identifier}",
            inputs=(),
            outputs=(entry.identifier,),
            definition={
                "source": entry.source.model_dump(mode="json"),
                "schema": entry.model_dump(mode="json", by_alias=True).get("schema"),
                # key id, consents in effect, supply conventions running (personal data only)
                **(personal_definition(ws.private, entry, typed) if typed else {}),
            },
            entry=entry,
            pack=entry.pack,
        )

    base = _territory_params(ws)
    dialect = engine_capabilities(ws.config.engine).sql_dialect
    for pack_name in ws.enabled_packs():
        pack = load_pack(pack_name, ws.pack_path(pack_name))
        # the rules' thresholds last: a parameter of territory.yaml cannot loosen what secrecy.yaml says
        pack_params = {
            **base,
            **pack.definition.parameters,
            **ws.config.packs[pack_name].parameters,
            **least_params(pack.directory, policies),
        }
        params[pack_name] = pack_params
        packs[pack_name] = pack.directory
        for model in pack.definition.models:
            sql = pack.read_sql(model.sql, dialect)
            add_dataset(
                model.name,
                DatasetInfo(
                    model.name,
                    "model",
                    model.title,
                    model.access,
                    pack_name,
                    model.secrecy,
                    model.publish,
                    model.summary,
                ),
                f"pack {pack_name}",
            )
            steps[f"model:{model.name}"] = ModelStep(
                id=f"model:{model.name}",
                inputs=sql_refs(sql),
                outputs=(model.name,),
                definition={"sql": sql, "params": pack_params, "pack_version": pack.definition.version},
                sql=sql,
                params=pack_params,
                pack=pack_name,
            )
        for declared in pack.definition.indicators:
            ind = _on_territory(declared, ws.config.mesh)
            sql = pack.read_sql(ind.sql, dialect)
            add_dataset(
                ind.id,
                DatasetInfo(ind.id, "indicator", ind.title, ind.access, pack_name, ind.secrecy, True),
                f"pack {pack_name}",
            )
            steps[f"indicator:{ind.id}"] = IndicatorStep(
                id=f"indicator:{ind.id}",
                inputs=sql_refs(sql),
                outputs=(ind.id,),
                definition={"indicator": ind.model_dump(mode="json"), "sql": sql, "params": pack_params},
                sql=sql,
                params=pack_params,
                indicator=ind,
                pack=pack_name,
            )

    policies = ws.policies()
    for key, info in list(datasets.items()):
        if not info.publish:
            continue
        out = f"published.{key}"
        datasets[out] = DatasetInfo(key, "published", info.title, info.access, info.pack, info.secrecy, True)
        steps[f"publish:{key}"] = PublishStep(
            id=f"publish:{key}",
            # tables sharing cells are protected with one set of decisions: each reads the others
            inputs=(key, *_shared(key, info.secrecy, policies, datasets)),
            outputs=(out,),
            definition={
                "access": info.access.value,
                "secrecy": info.secrecy,
                "publisher": 1,
                # the rule sets' contents: a changed rule publishes again
                **({"rules": rules} if (rules := rules_fingerprint(key, info.secrecy, policies)) else {}),
            },
            pack=info.pack,
        )

    producers: dict[str, str] = {}
    for step in steps.values():
        for out in step.outputs:
            producers[out] = step.id
    graph: dict[str, set[str]] = {}
    for step in steps.values():
        deps = set()
        for name in step.inputs:
            if name not in producers:
                raise ConfigError(
                    f"{step.id} reads dataset {name!r}, which nothing produces",
                    hint=did_you_mean(name, producers) or "declare it in sources/ or enable the pack that builds it",
                )
            deps.add(producers[name])
        graph[step.id] = deps
        step.check(datasets)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise ConfigError(
            f"the steps form a cycle: {' -> '.join(exc.args[1])}", hint="a model cannot read its own output"
        ) from exc
    return Plan(steps, datasets, order, producers, params, packs, _unset_parameters(steps))


__all__ = ["AccessLevel", "Plan", "build_plan"]
