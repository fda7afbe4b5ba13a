"""Every read of the record tables.

The readers that may run on a store no run has opened yet (the footprint report, retention,
the API) check that the table exists and answer empty; the others expect ``ensure_meta``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from territoria.engines.base import Engine, quote_literal
from territoria.ledger.schema import META, TABLES, has_table


def _json(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    data = json.loads(text) if isinstance(text, str) else text
    return data if isinstance(data, dict) else {}


# -- state the runner decides with -------------------------------------------------------------
def dataset_hashes(engine: Engine) -> dict[str, str]:
    return {r[0]: r[1] for r in engine.fetch_all(f"SELECT name, content_hash FROM {META}.datasets")}


def dataset_fingerprints(engine: Engine) -> dict[str, tuple[str, int]]:
    """(content hash, rows) of every dataset, as the last commit recorded them."""
    return {r[0]: (r[1], r[2]) for r in engine.fetch_all(f"SELECT name, content_hash, rows FROM {META}.datasets")}


#: up to this many runs, ``record_relation`` names them in an IN list (a long one costs its
#: binding more than the filter saves: a store's first snapshot may list thousands of runs)
IN_LIST = 64


def record_relation(name: str, *, only_runs: list[str] | None = None) -> str:
    """A SQL relation over one record table (what a snapshot copies), optionally only the rows
    of ``only_runs`` (the runs no earlier snapshot part holds)."""
    if name not in TABLES:
        raise ValueError(f"{name!r} is not a record table; record tables: {', '.join(TABLES)}")
    if only_runs is None:
        return f"{META}.{name}"
    if len(only_runs) <= IN_LIST:
        # an IN list is a filter the scan applies to ``run_id`` first, reading the other columns
        # (JSON reports and footprints) of the matching rows only: a snapshot copies a run's rows
        # without reading the whole history
        listed = ", ".join(quote_literal(r) for r in only_runs) or "NULL"
        return f"(SELECT * FROM {META}.{name} WHERE run_id IN ({listed}))"
    listed = "[" + ", ".join(quote_literal(r) for r in only_runs) + "]::VARCHAR[]"
    return f"(SELECT * FROM {META}.{name} WHERE list_contains({listed}, run_id))"


def runs_in(engine: Engine, tables: Sequence[str]) -> dict[str, set[str]]:
    """table -> the run ids its rows belong to, for record tables with a ``run_id``, in one query."""
    for name in tables:
        record_relation(name)  # refuses a name that is not a record table
    if not tables:
        return {}
    union = " UNION ALL ".join(
        f"SELECT DISTINCT {quote_literal(t)}, run_id FROM {META}.{t} WHERE run_id IS NOT NULL" for t in tables
    )
    found: dict[str, set[str]] = {t: set() for t in tables}
    for table, run_id in engine.fetch_all(union):
        found[table].add(run_id)
    return found


def dataset_states(engine: Engine) -> dict[str, tuple[str, int, datetime]]:
    """name -> (content hash, rows, updated_at) of every dataset built. ``updated_at`` is the start
    of the run that wrote it (its step's start when that run is not recorded): a step's own start
    follows the steps run before it, a closed one's wall time among them (``governance.figures``),
    and this time is shown to everyone."""
    rows = engine.fetch_all(
        f"SELECT d.name, d.content_hash, d.rows, coalesce(r.started_at, d.updated_at) "
        f"FROM {META}.datasets d LEFT JOIN {META}.runs r ON r.run_id = d.run_id"
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def step_keys(engine: Engine) -> dict[str, str]:
    return {r[0]: r[1] for r in engine.fetch_all(f"SELECT step, input_key FROM {META}.step_state")}


def source_state(engine: Engine, dataset: str) -> dict[str, Any] | None:
    rows = engine.fetch_all(f"SELECT state FROM {META}.source_state WHERE dataset = ?", [dataset])
    return json.loads(rows[0][0]) if rows else None


def source_states(engine: Engine) -> dict[str, dict[str, Any]]:
    """dataset -> its ``source_state`` (what the next fetch starts from), of every source, in one query."""
    return {r[0]: json.loads(r[1]) for r in engine.fetch_all(f"SELECT dataset, state FROM {META}.source_state")}


def source_checks(engine: Engine) -> dict[str, tuple[datetime | None, str | None]]:
    """dataset -> (last checked, sha256 of the current content)."""
    if not has_table(engine, "source_state"):
        return {}
    return {
        r[0]: (r[1], r[2]) for r in engine.fetch_all(f"SELECT dataset, checked_at, sha256 FROM {META}.source_state")
    }


def source_changes(engine: Engine) -> dict[str, tuple[datetime | None, datetime | None]]:
    """dataset -> (last checked, last changed)."""
    rows = engine.fetch_all(f"SELECT dataset, checked_at, changed_at FROM {META}.source_state")
    return {r[0]: (r[1], r[2]) for r in rows}


def last_step_status(engine: Engine) -> dict[str, str]:
    """step -> the status of its latest record."""
    rows = engine.fetch_all(f"SELECT step, arg_max(status, started_at) FROM {META}.step_runs GROUP BY step")
    return {r[0]: r[1] for r in rows}


def success_definitions(engine: Engine) -> dict[str, str]:
    """step -> the definition hash of its last success: the definition its outputs were made with."""
    rows = engine.fetch_all(
        f"SELECT step, arg_max(definition_hash, started_at) FROM {META}.step_runs "
        "WHERE status = 'success' GROUP BY step"
    )
    return {r[0]: r[1] for r in rows}


def raw_origins(engine: Engine) -> dict[str, str]:
    """dataset -> the landed payload it was last read from, and landed payload -> its source."""
    edges = engine.fetch_all(
        f"SELECT target, source FROM {META}.lineage WHERE source LIKE 'landing:%' OR source LIKE 'source:%' "
        "QUALIFY row_number() OVER (PARTITION BY target ORDER BY recorded_at DESC) = 1"
    )
    return {t: s for t, s in edges}


# -- history -----------------------------------------------------------------------------------
def has_records(engine: Engine) -> bool:
    return has_table(engine, "step_runs")


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


_STEP_COLUMNS = ["run_id", "step", "kind", "status", "reason", "started_at", "inputs", "outputs", "footprint"]


def step_history(engine: Engine, since: datetime | None = None) -> list[dict[str, Any]]:
    """Step records with their footprint, oldest first: all of them, or those since ``since`` plus,
    for every step, its latest record and its latest successful one (what attribution needs)."""
    if not has_records(engine):
        return []
    cols = ", ".join(_STEP_COLUMNS)
    if since is None:
        rows = engine.fetch_all(f"SELECT {cols} FROM {META}.step_runs ORDER BY started_at")
    else:
        rows = engine.fetch_all(
            f"SELECT {cols} FROM {META}.step_runs "
            "QUALIFY started_at >= ? OR row_number() OVER (PARTITION BY step ORDER BY started_at DESC) = 1 "
            "OR row_number() OVER (PARTITION BY step, status = 'success' ORDER BY started_at DESC) = 1 "
            "ORDER BY started_at",
            [since],
        )
    out = []
    for row in rows:
        rec = dict(zip(_STEP_COLUMNS, row, strict=True))
        for k in ("inputs", "outputs", "footprint"):
            rec[k] = _json(rec[k])
        out.append(rec)
    return out


_RUN_COLUMNS = [
    "run_id",
    "started_at",
    "status",
    "command",
    "steps_run",
    "steps_skipped",
    "wall_s",
    "cpu_s",
    "footprint",
]


def run_history(engine: Engine, limit: int | None = None) -> list[dict[str, Any]]:
    """Runs with their footprint, newest first."""
    if not has_records(engine):
        return []
    rows = engine.fetch_all(
        f"SELECT {', '.join(_RUN_COLUMNS)} FROM {META}.runs ORDER BY started_at DESC" + (" LIMIT ?" if limit else ""),
        [limit] if limit else None,
    )
    out = []
    for row in rows:
        rec = dict(zip(_RUN_COLUMNS, row, strict=True))
        rec["footprint"] = _json(rec["footprint"])
        out.append(rec)
    return out


def recent_runs(engine: Engine, limit: int = 20) -> list[tuple[Any, ...]]:
    """The ``limit`` latest runs as rows (run_id, started_at, status, command, steps_total,
    steps_run, steps_skipped, steps_failed, wall_s, cpu_s, error)."""
    return engine.fetch_all(
        "SELECT run_id, started_at, status, command, steps_total, steps_run, steps_skipped, steps_failed, "
        "wall_s, cpu_s, error "
        f"FROM {META}.runs ORDER BY started_at DESC LIMIT ?",
        [limit],
    )


def run_steps(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    """The step records of one run, in the order they started, with their report decoded."""
    rows: list[dict[str, Any]] = engine.fetch_arrow(
        f"SELECT step, kind, status, reason, rows_in, rows_out, rows_quarantined, wall_s, cpu_s, error, report "
        f"FROM {META}.step_runs WHERE run_id = ? ORDER BY started_at",
        [run_id],
    ).to_pylist()
    for r in rows:
        r["report"] = json.loads(r["report"]) if r["report"] else {}
    return rows


def fetch_history(engine: Engine) -> list[tuple[str, str | None, datetime]]:
    """(dataset, sha256, fetched_at) of every fetch, newest first."""
    if not has_table(engine, "fetches"):
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
    if has_table(engine, "source_state"):
        keep |= {r[0] for r in engine.fetch_all(f"SELECT sha256 FROM {META}.source_state WHERE sha256 IS NOT NULL")}
    if has_table(engine, "lineage"):
        rows = engine.fetch_all(
            f"SELECT arg_max(source, recorded_at) FROM {META}.lineage WHERE source LIKE 'landing:%' GROUP BY target"
        )
        keep |= {r[0].removeprefix("landing:") for r in rows}
    return keep
