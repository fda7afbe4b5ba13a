"""Footprint views for the CLI and the API: by run, by pack (use case), by dataset, top, trend."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from territoria.engines.base import Engine
from territoria.footprint.attribution import DatasetCost, dataset_cost, graph_from_history
from territoria.footprint.energy import band_of, storage_wh_per_month
from territoria.footprint.params import ZERO, Band, FootprintPolicy, intensity, load_policy
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

    def dataset(self, name: str) -> DatasetCost | None:
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
        )
        if cost is not None:
            limit = self.policy.budget.monthly_wh.get(name) or self.policy.budget.monthly_wh.get(resolved)
            if limit is not None and cost.monthly_wh.value > limit:
                cost.warnings.append(
                    f"{name} costs {cost.monthly_wh.value:.4g} Wh per month, over its budget of {limit:.4g} Wh"
                )
        return cost

    def all_datasets(self) -> list[DatasetCost]:
        return [c for c in (self.dataset(d) for d in self.datasets()) if c is not None]

    # -- runs, packs, steps -----------------------------------------------------------------
    def by_run(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.runs[:limit]

    def by_pack(self, days: int | None = None) -> list[dict[str, Any]]:
        return self._group(lambda r: r["footprint"].get("pack") or "(workspace)", days)

    def top_steps(self, n: int = 10, days: int | None = None) -> list[dict[str, Any]]:
        return self._group(lambda r: r["step"], days)[:n]

    def _group(self, key: Any, days: int | None) -> list[dict[str, Any]]:
        since = self.now - timedelta(days=days) if days else None
        groups: dict[str, dict[str, Any]] = {}
        for rec in self.history:
            if since and rec["started_at"] < since:
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

    def trend(self, days: int = 30) -> list[dict[str, Any]]:
        """Energy per day over the last ``days`` days, from the run records."""
        since = self.now - timedelta(days=days)
        per_day: dict[str, dict[str, Any]] = {}
        for run in reversed(self.runs):
            if run["started_at"] < since or not run["footprint"].get("energy_wh"):
                continue
            day = run["started_at"].strftime("%Y-%m-%d")
            d = per_day.setdefault(day, {"day": day, "runs": 0, "energy": ZERO, "avoided": ZERO})
            d["runs"] += 1
            d["energy"] = d["energy"] + band_of(run["footprint"]["energy_wh"])
            d["avoided"] = d["avoided"] + band_of((run["footprint"].get("avoided") or {}).get("energy_wh"))
        return list(per_day.values())

    def storage(self) -> dict[str, Any]:
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
