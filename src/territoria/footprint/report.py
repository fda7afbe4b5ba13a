"""Footprint views for the CLI and the API: by run, by pack (use case), by dataset, top, trend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from territoria.engines.base import Engine
from territoria.footprint.attribution import DatasetCost, dataset_cost, graph_from_history
from territoria.footprint.energy import band_of, step_totals, storage_wh_per_month
from territoria.footprint.params import ZERO, Band, FootprintPolicy, intensity, load_policy
from territoria.governance.figures import MayRead, step_visible
from territoria.ledger import fetch_history, run_history, step_history
from territoria.workspace import Workspace


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class FootprintReport:
    """Everything is read once from the store; the engine may be a short read-only connection."""

    def __init__(
        self, ws: Workspace, engine: Engine, policy: FootprintPolicy | None = None, *, days: int | None = 90
    ) -> None:
        """``days``: how much step history to read (never less than the 30 days of the monthly views;
        ``None`` reads it all). Every step's latest records are read whatever their age."""
        self.ws = ws
        #: kept for the store's size: the engine may be closed by the time it is asked
        self.capabilities = engine.capabilities
        self.policy = policy or load_policy(ws.policies())
        self.intensity, self.intensity_label = intensity(self.policy)
        self.now = _utcnow()
        since = self.now - timedelta(days=max(days, 30)) if days is not None else None
        #: runs before it have only some of their step records here
        self.since = since
        self.history = step_history(engine, since)
        self.graph = graph_from_history(self.history)
        self.runs = run_history(engine)
        self.fetches = fetch_history(engine)
        self.frequencies = {e.identifier: e.frequency for e in ws.entries().values()}

    # -- datasets -------------------------------------------------------------------------
    @cached_property
    def landing_bytes(self) -> dict[str, int]:
        """Bytes of raw versions still kept in the landing area, per source dataset."""
        seen: dict[str, set[str]] = {}
        for dataset, sha, _ in self.fetches:
            if sha:
                seen.setdefault(dataset, set()).add(sha)
        out = {}
        for dataset, shas in seen.items():
            out[dataset] = sum(self.ws.landing.path(s).stat().st_size for s in shas if self.ws.landing.has(s))
        return out

    def datasets(self) -> list[str]:
        return sorted(self.graph.producers)

    def resolve(self, name: str) -> str | None:
        known = self.graph.producers
        for candidate in (name, f"published.{name}"):
            if candidate in known:
                return candidate
        return None

    def dataset(self, name: str, may_read: MayRead | None = None) -> DatasetCost | None:
        """The cost of ``name``; with ``may_read``, over the steps whose figures the caller sees
        (``governance.figures``: a dataset released from restricted inputs costs its visible share)."""
        resolved = self.resolve(name)
        if resolved is None:
            return None
        cost = dataset_cost(
            resolved,
            self.history,
            self.frequencies,
            self.landing_bytes,
            self.policy.model,
            self.intensity,
            self.now,
            visible=_visible(may_read),
        )
        if cost is not None:
            # a dataset's last refresh is its run's start, as its last update (``governance.figures``)
            if cost.last_refresh_run in self.run_starts:
                cost.last_refresh_at = self.run_starts[cost.last_refresh_run]
            limit = self.policy.budget.monthly_wh.get(name) or self.policy.budget.monthly_wh.get(resolved)
            if limit is not None and cost.monthly_wh.value > limit:
                cost.warnings.append(
                    f"{name} costs {cost.monthly_wh.value:.4g} Wh per month, over its budget of {limit:.4g} Wh"
                )
        return cost

    @cached_property
    def run_starts(self) -> dict[str, datetime]:
        return {run["run_id"]: run["started_at"] for run in self.runs}

    def all_datasets(self, may_read: MayRead | None = None) -> list[DatasetCost]:
        """The cost of every dataset; with ``may_read``, of those the caller reads, over its steps."""
        names = [d for d in self.datasets() if may_read is None or may_read(d)]
        return [c for c in (self.dataset(d, may_read) for d in names) if c is not None]

    # -- runs, packs, steps -----------------------------------------------------------------
    @cached_property
    def steps_of_run(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for rec in self.history:
            found.setdefault(rec["run_id"], []).append(rec)
        return found

    def by_run(self, limit: int = 20, may_read: MayRead | None = None) -> list[dict[str, Any]]:
        """The ``limit`` latest runs; with ``may_read``, each as the caller may see it (``_run_for``)."""
        runs = self.runs[:limit]
        return runs if may_read is None else [self._run_for(run, may_read) for run in runs]

    def _run_for(self, run: dict[str, Any], may_read: MayRead) -> dict[str, Any]:
        """A run as recorded when the caller sees every step of it; otherwise its energy, carbon and
        avoided work summed over the steps it sees, and its times withheld (they cannot be split).
        A run older than the step history read has figures the caller cannot be shown safely."""
        if self.since is not None and run["started_at"] < self.since:
            return {**run, "wall_s": None, "cpu_s": None, "footprint": {}}
        steps = self.steps_of_run.get(run["run_id"], [])
        seen = [rec for rec in steps if step_visible(rec, may_read)]
        if len(seen) == len(steps):
            return run
        totals = step_totals(rec["footprint"] for rec in seen)
        recorded = run["footprint"]
        footprint = {
            "method": recorded.get("method"),
            "intensity": recorded.get("intensity"),
            "energy_wh": totals.energy_wh.as_dict(),
            "co2e_g": totals.co2e_g.as_dict(),
            "per_pack_wh": totals.per_pack_wh,
            "avoided": {"energy_wh": totals.avoided_wh.as_dict(), "co2e_g": totals.avoided_co2e_g.as_dict()},
            "withheld_steps": len(steps) - len(seen),
            "scope": "the steps over data you may read (the others' figures are withheld)",
        }
        return {**run, "wall_s": None, "cpu_s": None, "footprint": footprint}

    def by_pack(self, days: int | None = None, may_read: MayRead | None = None) -> list[dict[str, Any]]:
        return self._group(lambda r: r["footprint"].get("pack") or "(workspace)", days, may_read)

    def top_steps(self, n: int = 10, days: int | None = None, may_read: MayRead | None = None) -> list[dict[str, Any]]:
        return self._group(lambda r: r["step"], days, may_read)[:n]

    def _group(self, key: Any, days: int | None, may_read: MayRead | None = None) -> list[dict[str, Any]]:
        since = self.now - timedelta(days=days) if days else None
        visible = _visible(may_read)
        groups: dict[str, dict[str, Any]] = {}
        for rec in self.history:
            if since and rec["started_at"] < since:
                continue
            if not visible(rec):
                continue
            fp = rec["footprint"]
            g = groups.setdefault(
                key(rec),
                {"name": key(rec), "step_runs": 0, "energy": ZERO, "co2e": ZERO, "avoided": ZERO, "methods": set()},
            )
            g["step_runs"] += 1 if rec["status"] == "success" else 0
            g["energy"] = g["energy"] + band_of(fp.get("energy_wh"))
            g["co2e"] = g["co2e"] + band_of(fp.get("co2e_g"))
            g["avoided"] = g["avoided"] + band_of((fp.get("avoided") or {}).get("energy_wh"))
            if fp.get("method"):
                g["methods"].add(fp["method"])
        rows = sorted(groups.values(), key=lambda g: -g["energy"].value)
        for g in rows:
            g["methods"] = sorted(g["methods"])
        return rows

    def trend(self, days: int = 30, may_read: MayRead | None = None) -> list[dict[str, Any]]:
        """Energy per day over the last ``days`` days, from the run records (as ``by_run`` shows them)."""
        since = self.now - timedelta(days=days)
        per_day: dict[str, dict[str, Any]] = {}
        runs = self.runs if may_read is None else [self._run_for(run, may_read) for run in self.runs]
        for run in reversed(runs):
            if run["started_at"] < since or not run["footprint"].get("energy_wh"):
                continue
            day = run["started_at"].strftime("%Y-%m-%d")
            d = per_day.setdefault(day, {"day": day, "runs": 0, "energy": ZERO, "avoided": ZERO})
            d["runs"] += 1
            d["energy"] = d["energy"] + band_of(run["footprint"]["energy_wh"])
            d["avoided"] = d["avoided"] + band_of((run["footprint"].get("avoided") or {}).get("energy_wh"))
        return list(per_day.values())

    def storage(self, may_read: MayRead | None = None) -> dict[str, Any]:
        """Bytes kept and their energy. The landing area, the archive and the store hold every
        dataset: a caller who may not read one of them gets the landed bytes of the sources it
        reads, and neither the archive's nor the store's size (they cannot be split by dataset)."""
        known = set(self.graph.producers) | set(self.landing_bytes) | set(self.frequencies)
        if may_read is not None and not all(may_read(d) for d in known):
            landed = sum(size for d, size in self.landing_bytes.items() if may_read(d))
            return {
                "landing_bytes": landed,
                "archive_bytes": None,
                "store_bytes": None,
                "energy_wh_per_month": storage_wh_per_month(landed, self.policy.model).as_dict(),
                "scope": "the landed data you may read (the rest is withheld)",
            }
        landing = self.ws.landing.size()
        store = self.capabilities.store_size(self.ws.store_dir)
        archive = sum(p.stat().st_size for p in (self.ws.landing.root / "archive").glob("*") if p.is_file())
        total = landing + store + archive
        return {
            "landing_bytes": landing,
            "archive_bytes": archive,
            "store_bytes": store,
            "energy_wh_per_month": storage_wh_per_month(total, self.policy.model).as_dict(),
        }


def _visible(may_read: MayRead | None) -> Callable[[dict[str, Any]], bool]:
    if may_read is None:
        return lambda _rec: True
    return lambda rec: step_visible(rec, may_read)


def band_json(b: Band) -> dict[str, float]:
    return b.as_dict()


def cost_json(cost: DatasetCost) -> dict[str, Any]:
    data: dict[str, Any] = _plain(asdict(cost))
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, Band):
        return value.as_dict()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def group_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_plain(r) for r in rows]
