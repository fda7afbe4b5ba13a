"""Reads of the run records the footprint needs (the ``_territoria`` schema of the store).

The tables are created by ``pipelines.records``; this module only reads them, so it can sit
below the pipelines in the layering and serve the API without the runner.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from territoria.engines.base import Engine

#: the records schema, as named by ``territoria.pipelines.records.META`` (a test keeps them equal)
META = "_territoria"


def _json(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    data = json.loads(text) if isinstance(text, str) else text
    return data if isinstance(data, dict) else {}


def has_records(engine: Engine) -> bool:
    return engine.table_exists(META, "step_runs")


def last_real_costs(engine: Engine) -> dict[str, dict[str, Any]]:
    """For each step, the footprint of its last run that did the work (status success)."""
    if not has_records(engine):
        return {}
    rows = engine.fetch_all(
        f"SELECT step, arg_max(run_id, started_at), arg_max(footprint, started_at) FROM {META}.step_runs "
        "WHERE status = 'success' AND footprint IS NOT NULL "
        "GROUP BY step"
    )
    return {step: {"run_id": run_id, **_json(fp)} for step, run_id, fp in rows}


def source_checks(engine: Engine) -> dict[str, tuple[datetime | None, str | None]]:
    if not engine.table_exists(META, "source_state"):
        return {}
    return {
        r[0]: (r[1], r[2]) for r in engine.fetch_all(f"SELECT dataset, checked_at, sha256 FROM {META}.source_state")
    }


def step_history(engine: Engine, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every step record with its footprint, oldest first."""
    if not has_records(engine):
        return []
    where = "WHERE started_at >= ?" if since else ""
    rows = engine.fetch_all(
        f"SELECT run_id, step, kind, status, reason, started_at, inputs, outputs, footprint "
        f"FROM {META}.step_runs {where} ORDER BY started_at",
        [since] if since else None,
    )
    keys = ["run_id", "step", "kind", "status", "reason", "started_at", "inputs", "outputs", "footprint"]
    out = []
    for row in rows:
        rec = dict(zip(keys, row, strict=True))
        for k in ("inputs", "outputs", "footprint"):
            rec[k] = _json(rec[k])
        out.append(rec)
    return out


def run_history(engine: Engine, limit: int | None = None) -> list[dict[str, Any]]:
    if not has_records(engine):
        return []
    rows = engine.fetch_all(
        f"SELECT run_id, started_at, status, command, steps_run, steps_skipped, wall_s, cpu_s, footprint "
        f"FROM {META}.runs ORDER BY started_at DESC" + (" LIMIT ?" if limit else ""),
        [limit] if limit else None,
    )
    keys = ["run_id", "started_at", "status", "command", "steps_run", "steps_skipped", "wall_s", "cpu_s", "footprint"]
    out = []
    for row in rows:
        rec = dict(zip(keys, row, strict=True))
        rec["footprint"] = _json(rec["footprint"])
        out.append(rec)
    return out


def fetch_history(engine: Engine) -> list[tuple[str, str | None, datetime]]:
    """(dataset, sha256, fetched_at) of every fetch, newest first."""
    if not engine.table_exists(META, "fetches"):
        return []
    return [
        (r[0], r[1], r[2])
        for r in engine.fetch_all(  # fetched_at has second resolution: insertion order breaks ties
            f"SELECT dataset, sha256, fetched_at FROM {META}.fetches ORDER BY fetched_at DESC, rowid DESC"
        )
    ]


def current_inputs(engine: Engine) -> set[str]:
    """Landed objects that current staging came from: never pruned."""
    keep: set[str] = set()
    if engine.table_exists(META, "source_state"):
        keep |= {r[0] for r in engine.fetch_all(f"SELECT sha256 FROM {META}.source_state WHERE sha256 IS NOT NULL")}
    if engine.table_exists(META, "lineage"):
        rows = engine.fetch_all(
            f"SELECT arg_max(source, recorded_at) FROM {META}.lineage WHERE source LIKE 'landing:%' GROUP BY target"
        )
        keep |= {r[0].removeprefix("landing:") for r in rows}
    return keep
