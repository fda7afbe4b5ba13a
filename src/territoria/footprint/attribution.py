"""What each dataset and published indicator costs, its share of upstream work included.

The step graph is read back from the run records (each step's last record lists the datasets
it read and wrote), so this works from the store alone. A dataset's cost is its producing
step's cost plus, for each input, the input's own cost divided among all the steps that read
that input: a shared source is paid for once, in equal parts by its consumers.

Per month, each step's last real cost is multiplied by how often it refreshes: at most as often
as the fastest of the sources upstream of it, at their declared frequency (DCAT-AP). Raw data
kept in the landing area adds its storage energy, with the same shares.

Given ``visible`` (whether the caller sees a step record's figures, ``governance.figures``), a
cost adds up only the steps the caller sees: a dataset released to a wider level than its inputs
(a secrecy rule set, a signed declassification) must not carry its restricted inputs' bytes and
times to those who may not read them. ``withheld_steps`` says how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from territoria.catalog.model import FREQUENCIES
from territoria.footprint.energy import band_of, storage_wh_per_month
from territoria.footprint.params import ZERO, Band, ModelParams

DAYS_PER_MONTH = 30.44
#: a continuous source is priced as refreshed hourly
MIN_PERIOD_DAYS = 1 / 24


@dataclass
class Graph:
    step_inputs: dict[str, list[str]]
    producers: dict[str, str]
    #: ingest step -> the dataset it lands
    sources: dict[str, str]
    packs: dict[str, str | None]

    def consumers(self, dataset: str) -> list[str]:
        return [s for s, inputs in self.step_inputs.items() if dataset in inputs]


def graph_from_history(history: list[dict[str, Any]]) -> Graph:
    latest: dict[str, dict[str, Any]] = {}
    for rec in history:
        latest[rec["step"]] = rec
    step_inputs, producers, sources, packs = {}, {}, {}, {}
    for step, rec in latest.items():
        step_inputs[step] = [i for i in rec["inputs"] if not i.startswith("landing:")]
        for out in rec["outputs"]:
            producers[out] = step
            if rec["kind"] == "ingest":
                sources[step] = out
        packs[step] = rec["footprint"].get("pack")
    return Graph(step_inputs, producers, sources, packs)


def shares(graph: Graph, dataset: str) -> dict[str, float]:
    """Weight of each step in the cost of ``dataset`` (1 for its producer)."""
    return _walk(graph, dataset, {})


def _walk(graph: Graph, name: str, memo: dict[str, dict[str, float]]) -> dict[str, float]:
    """``shares`` of ``name``, its inputs' remembered in ``memo``. A module function, not a
    closure calling itself: that closure made a reference cycle per call (the footprint report
    calls it per dataset and per step)."""
    if name in memo:
        return memo[name]
    step = graph.producers.get(name)
    if step is None:
        return {}
    weights = {step: 1.0}
    for inp in graph.step_inputs.get(step, []):
        n = max(len(graph.consumers(inp)), 1)
        for s, w in _walk(graph, inp, memo).items():
            weights[s] = weights.get(s, 0.0) + w / n
    memo[name] = weights
    return weights


@dataclass
class Contribution:
    step: str
    weight: float
    energy_wh: Band
    co2e_g: Band
    refreshes_per_month: float
    run_id: str | None


@dataclass
class DatasetCost:
    dataset: str
    step: str
    last_refresh_at: datetime | None
    last_refresh_run: str | None
    own_wh: Band
    refresh_wh: Band
    refresh_co2e_g: Band
    monthly_wh: Band
    monthly_co2e_g: Band
    storage_wh_per_month: Band
    observed_30d_wh: Band
    avoided_30d_wh: Band
    methods: list[str]
    contributions: list[Contribution] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: steps of its making whose figures the caller does not see (left out of every figure above)
    withheld_steps: int = 0


def _period_days(frequency: str | None) -> float:
    return max(FREQUENCIES.get(frequency or "irregular", FREQUENCIES["irregular"]), MIN_PERIOD_DAYS)


def step_periods(graph: Graph, frequencies: dict[str, str]) -> dict[str, float]:
    """Days between refreshes of each step: the shortest period among its upstream sources."""
    periods: dict[str, float] = {}
    for step in graph.step_inputs:
        ingest = [s for s in shares_of_step(graph, step) if s in graph.sources]
        periods[step] = min((_period_days(frequencies.get(graph.sources[s])) for s in ingest), default=30.0)
    return periods


def shares_of_step(graph: Graph, step: str) -> dict[str, float]:
    weights = {step: 1.0}
    for inp in graph.step_inputs.get(step, []):
        n = max(len(graph.consumers(inp)), 1)
        for s, w in shares(graph, inp).items():
            weights[s] = weights.get(s, 0.0) + w / n
    return weights


def dataset_cost(
    dataset: str,
    history: list[dict[str, Any]],
    frequencies: dict[str, str],
    landing_bytes: dict[str, int],
    params: ModelParams,
    intensity: Band,
    now: datetime,
    visible: Callable[[dict[str, Any]], bool] | None = None,
) -> DatasetCost | None:
    """The cost of ``dataset``; ``None`` if no run has produced it yet."""
    graph = graph_from_history(history)
    weights = shares(graph, dataset)
    if not weights:
        return None
    withheld = 0
    if visible is not None:
        latest = {r["step"]: r for r in history}
        hidden = {s for s in weights if not visible(latest[s])}
        history = [r for r in history if r["step"] not in hidden and visible(r)]
        withheld, weights = len(hidden), {s: w for s, w in weights.items() if s not in hidden}
    last_real = {r["step"]: r for r in history if r["status"] == "success" and r["footprint"].get("energy_wh")}
    periods = step_periods(graph, frequencies)
    contributions, methods = [], set()
    refresh_wh, refresh_co2, monthly_wh, monthly_co2, storage = ZERO, ZERO, ZERO, ZERO, ZERO
    for step, weight in sorted(weights.items(), key=lambda kv: -kv[1]):
        rec = last_real.get(step)
        if rec is None:
            continue
        fp = rec["footprint"]
        methods.add(fp.get("method", "estimated"))
        wh, co2 = band_of(fp["energy_wh"]).scale(weight), band_of(fp.get("co2e_g")).scale(weight)
        per_month = DAYS_PER_MONTH / periods.get(step, 30.0)
        contributions.append(Contribution(step, weight, wh, co2, per_month, rec["run_id"]))
        refresh_wh, refresh_co2 = refresh_wh + wh, refresh_co2 + co2
        monthly_wh, monthly_co2 = monthly_wh + wh.scale(per_month), monthly_co2 + co2.scale(per_month)
        if step in graph.sources:
            storage = storage + storage_wh_per_month(landing_bytes.get(graph.sources[step], 0), params).scale(weight)
    since = now - timedelta(days=30)
    observed, avoided = ZERO, ZERO
    for rec in history:
        w = weights.get(rec["step"])
        if w is None or rec["started_at"] < since:
            continue
        observed = observed + band_of(rec["footprint"].get("energy_wh")).scale(w)
        avoided = avoided + band_of((rec["footprint"].get("avoided") or {}).get("energy_wh")).scale(w)
    own = last_real.get(graph.producers[dataset])
    return DatasetCost(
        dataset=dataset,
        step=graph.producers[dataset],
        last_refresh_at=own["started_at"] if own else None,
        last_refresh_run=own["run_id"] if own else None,
        own_wh=band_of(own["footprint"]["energy_wh"]) if own else ZERO,
        refresh_wh=refresh_wh,
        refresh_co2e_g=refresh_co2,
        monthly_wh=monthly_wh + storage,
        monthly_co2e_g=monthly_co2 + storage.scale(1e-3).times(intensity),
        storage_wh_per_month=storage,
        observed_30d_wh=observed,
        avoided_30d_wh=avoided,
        methods=sorted(methods),
        contributions=contributions,
        withheld_steps=withheld,
    )
