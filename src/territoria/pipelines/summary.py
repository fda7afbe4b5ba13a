"""The status summary: what ``territoria status`` shows, saved so that it reads one small file.

At the end of every run (the ``status-summary`` run hook) and after a ``status`` that had to
read the store, ``.territoria/status.json`` gets each dataset's status with what it was
computed from: the stamps (``core/stamps.py``) of the files the plan is built from and of the
store's files, checkpointed first so that closing the store leaves them as they are. ``status``
uses the file only while every stamp is the same; any write to the store (a run, even an
interrupted or failed one, a retention, another command) or any edit of the configuration makes
it read the store again. Freshness depends on the time: it is computed when read, from the
source's last check and declared frequency.

Only the standard library, ``core.stamps`` and ``core.jsonfile`` are imported here at first: the fast path of
``territoria status`` loads neither the planner, nor pydantic, nor DuckDB.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria import __version__
from territoria.core.jsonfile import write_json
from territoria.core.stamps import as_json, from_json, stamps, unchanged

if TYPE_CHECKING:
    from territoria.engines.base import Engine
    from territoria.pipelines.plan import Plan
    from territoria.workspace import Workspace

FILE = "status.json"
#: bumped when the file's keys change
FORMAT = 2
PRIVATE = ".territoria"


@dataclass
class DatasetStatus:
    name: str
    layer: str
    title: str
    access: str
    rows: int | None
    updated_at: datetime | None
    last_status: str | None
    freshness: str
    quarantined: int | None = None
    #: days between the checks the source declares (its ``frequency``), for a source checked at least once
    period_days: float | None = None
    checked_at: datetime | None = None

    def listed(self) -> dict[str, Any]:
        """The fields `status --json` and the saved summary both give, in their order."""
        return {
            "dataset": self.name,
            "layer": self.layer,
            "title": self.title,
            "access": self.access,
            "rows": self.rows,
            "quarantined": self.quarantined,
            "updated_at": _iso(self.updated_at),
            "last_status": self.last_status,
        }


def freshness(built: bool, period_days: float | None, checked_at: datetime | None, now: datetime) -> str:
    """A source checked at least once is fresh until its declared period has passed since its
    last check; any other dataset is built or never built."""
    if period_days is None:
        return "built" if built else "never built"
    return "due for a check" if checked_at and now - checked_at > timedelta(days=period_days) else "fresh"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def save_summary(ws: Workspace, engine: Engine, plan: Plan, rows: list[DatasetStatus]) -> None:
    """Save what ``status`` shows (``rows``, the datasets' statuses the caller has read) with the
    stamps it depends on; when the plan's stamps are unknown or the store is not a file of the
    workspace, remove any older summary."""
    path = ws.private / FILE
    store = engine.capabilities.store_paths(ws.store_dir)
    if plan.stamps is None or not store:
        path.unlink(missing_ok=True)
        return
    to_fill = ws.parameters_to_fill()
    from territoria.ledger import checkpoint  # not at import: ``status``'s fast path loads no ledger

    # pending writes go to the store file now: closing it then changes none of the stamps below
    checkpoint(engine)
    doc = {
        "format": FORMAT,
        "root": os.fspath(ws.root),
        "version": __version__,
        "workspace": ws.config.name,
        "parameters_to_fill": to_fill,
        "config": as_json(plan.stamps),
        "store": as_json(stamps(store)),
        "datasets": [
            {
                **r.listed(),
                "built": r.rows is not None,
                "period_days": r.period_days,
                "checked_at": _iso(r.checked_at),
            }
            for r in rows
        ],
    }
    try:
        # a cache: lost in a crash, it is read from the store again
        write_json(path, doc, durable=False, ensure_ascii=False)
    except OSError:
        return  # a workspace we cannot write to: status reads the store every time


def read_summary(root: Path) -> tuple[str, list[DatasetStatus], dict[str, dict[str, str]]] | None:
    """(workspace name, dataset statuses, parameters to fill) from the saved summary of the
    workspace at ``root``, or ``None`` when there is none or anything it depends on changed."""
    try:
        doc = json.loads((root / PRIVATE / FILE).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or doc.get("version") != __version__:
            return None
        if doc.get("root") != os.fspath(root.resolve()):
            return None  # a copied workspace: the stamps are the original's files, not its own
        if not (unchanged(from_json(doc["store"])) and unchanged(from_json(doc["config"]))):
            return None
        now = datetime.now(UTC).replace(tzinfo=None)  # the ledger's clock: UTC, stored without tzinfo
        rows = []
        for d in doc["datasets"]:
            checked_at = _dt(d["checked_at"])
            rows.append(
                DatasetStatus(
                    d["dataset"],
                    d["layer"],
                    d["title"],
                    d["access"],
                    d["rows"],
                    _dt(d["updated_at"]),
                    d["last_status"],
                    freshness(d["built"], d["period_days"], checked_at, now),
                    d["quarantined"],
                    d["period_days"],
                    checked_at,
                )
            )
        return doc["workspace"], rows, doc["parameters_to_fill"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, torn or of another shape: status reads the store


__all__ = ["FILE", "DatasetStatus", "freshness", "read_summary", "save_summary"]
