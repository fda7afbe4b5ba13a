"""Read-only views of a workspace for the CLI and the API: status, lineage, runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from territoria import ledger
from territoria.catalog.model import FREQUENCIES
from territoria.engines.base import Engine, quote_ident, quote_literal
from territoria.ledger import ensure_meta
from territoria.ledger import now as utc_now
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import IngestStep
from territoria.pipelines.summary import DatasetStatus, freshness
from territoria.workspace import Workspace


def quarantine_counts(engine: Engine, datasets: list[str]) -> dict[str, int]:
    """Rows in quarantine of each of ``datasets`` that has a quarantine table, in one query."""
    tables = engine.tables()
    present = [d for d in datasets if ("quarantine", d) in tables]
    if not present:
        return {}
    union = " UNION ALL ".join(f"SELECT {quote_literal(d)}, count(*) FROM quarantine.{quote_ident(d)}" for d in present)
    return {name: int(n) for name, n in engine.fetch_all(union)}


def dataset_status(
    ws: Workspace,
    engine: Engine,
    plan: Plan,
    *,
    last: dict[str, str] | None = None,
    states: dict[str, tuple[str, int, datetime]] | None = None,
) -> list[DatasetStatus]:
    """Every dataset of ``plan`` with its rows, last update, last step status, freshness and
    quarantine (``ws`` is the workspace the plan was built from; ``last``, each step's last
    status, and ``states``, ``ledger.dataset_states``, when the caller has already read them)."""
    ensure_meta(engine)
    state = ledger.dataset_states(engine) if states is None else states
    last = ledger.last_step_status(engine) if last is None else last
    checked = ledger.source_changes(engine)
    # the plan's sources are the workspace's catalog entries, already read
    entries = {s.outputs[0]: s.entry for s in plan.steps.values() if isinstance(s, IngestStep)}
    staging = [key for key, info in plan.datasets.items() if info.layer == "staging"]
    quarantine = quarantine_counts(engine, staging)
    out = []
    now = utc_now()
    for key, info in plan.datasets.items():
        row = state.get(key)
        step = plan.producers[key]
        period = FREQUENCIES[entries[key].frequency] if key in entries and key in checked else None
        checked_at = checked[key][0] if period is not None else None
        out.append(
            DatasetStatus(
                key,
                info.layer,
                info.title,
                info.access.value,
                int(row[1]) if row else None,
                row[2] if row else None,
                last.get(step),
                freshness(row is not None, period, checked_at, now),
                quarantine.get(key),
                period,
                checked_at,
            )
        )
    return out


@dataclass
class LineageNode:
    label: str
    children: list[LineageNode] = field(default_factory=list)
    #: structured form of ``label`` for machine readers (the API)
    name: str = ""
    layer: str = ""
    hash: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name or self.label,
            "layer": self.layer,
            "hash": self.hash,
            "children": [c.as_dict() for c in self.children],
        }


@dataclass(frozen=True)
class LineageIndex:
    """What ``upstream`` reads from the store, loaded once for any number of datasets."""

    hashes: dict[str, str]
    #: dataset -> the landed payload it was last read from, and landed payload -> its source
    raw_of: dict[str, str]

    @classmethod
    def load(cls, engine: Engine) -> LineageIndex:
        ensure_meta(engine)
        return cls(ledger.dataset_hashes(engine), ledger.raw_origins(engine))


Graph = dict[str, dict[str, Any]]


def lineage_graph(plan: Plan, index: LineageIndex) -> Graph:
    """Every dataset with its layer, content hash, inputs and, for a source, the landed payload
    and where it came from: the flat form of lineage, linear in the number of datasets (the
    publication snapshot stores this; trees are drawn from it on demand)."""
    graph: Graph = {}
    for name, info in plan.datasets.items():
        step = plan.steps[plan.producers[name]]
        node: dict[str, Any] = {"layer": info.layer, "hash": index.hashes.get(name), "inputs": list(step.inputs)}
        if isinstance(step, IngestStep) and name in index.raw_of:
            node["landing"] = index.raw_of[name]
            node["source"] = index.raw_of.get(node["landing"])
        graph[name] = node
    return graph


# The trees are drawn by module-level functions, not by closures that call themselves: such a
# closure holds itself (through its cell) and every call left a reference cycle for the garbage
# collector, per request in the API (``tests/api/test_api_cycles.py``).


def lineage_tree(graph: Graph, dataset: str) -> LineageNode:
    """The upstream tree of ``dataset``: its inputs, theirs, down to the landed bytes and their source."""
    g = graph[dataset]
    digest = g["hash"]
    label = f"{dataset} [{g['layer']}]" + (f" #{digest[:10]}" if digest else " (not built)")
    children = [lineage_tree(graph, i) for i in g["inputs"]]
    if "landing" in g:
        landing, source = g["landing"], g["source"]
        sources = [LineageNode(source, name=source, layer="source")] if source else []
        children.append(LineageNode(landing[:24] + "…", sources, name=landing, layer="landing", hash=landing[8:]))
    return LineageNode(label, children, name=dataset, layer=g["layer"], hash=digest)


def upstream(plan: Plan, engine: Engine, dataset: str, index: LineageIndex | None = None) -> LineageNode:
    return lineage_tree(lineage_graph(plan, index or LineageIndex.load(engine)), dataset)


def downstream(plan: Plan, dataset: str) -> LineageNode:
    children = [downstream(plan, out) for step_id in plan.consumers(dataset) for out in plan.steps[step_id].outputs]
    return LineageNode(f"{dataset} [{plan.datasets[dataset].layer}]", children)


def recent_runs(engine: Engine, limit: int = 20) -> list[tuple[Any, ...]]:
    ensure_meta(engine)
    return ledger.recent_runs(engine, limit)


def run_steps(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    return ledger.run_steps(engine, run_id)
