"""Per-field retention: when each landed version of a personal dataset was first ingested, and
which of its fields ``territoria retention apply`` expired.

A field's values are as old as the version that carries them: ``retention.datasets.<id>.fields``
(``age: 365``) expires a field once the current version was first ingested more than N days
ago. ``retention apply`` records the expiry (signed, like every erasure) here; the expired
fields are part of the ingest step's definition (``gate.definition``), so the next run ingests
again and blanks them (NULL) at the landing door, in staging and in everything derived and
published. A new version of the file brings fresh values, with their own clock.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from territoria.core.jsonfile import write_json
from territoria.governance.personal.files import DIR, personal_dir

FILE = "versions.json"


class Versions:
    def __init__(self, private: Path) -> None:
        self.private = private
        self.path = private / DIR / FILE

    def _load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    def _save(self, data: dict[str, Any]) -> None:
        personal_dir(self.private)
        write_json(self.path, data, sort_keys=True)

    def ingested(self, dataset: str, sha: str, at: datetime) -> None:
        """``sha`` is being ingested for ``dataset`` (its first time starts its fields' clock)."""
        data = self._load()
        state = data.setdefault(dataset, {"versions": {}, "expired": {}})
        state["versions"].setdefault(sha, at.isoformat())
        state["current"] = sha
        self._save(data)

    def current(self, dataset: str) -> tuple[str, datetime] | None:
        """The version last ingested and when it was first ingested (naive UTC)."""
        state = self._load().get(dataset)
        if not state or "current" not in state:
            return None
        return state["current"], datetime.fromisoformat(state["versions"][state["current"]])

    def expired(self, dataset: str, sha: str | None = None) -> list[str]:
        """The fields expired for ``sha`` (default: the current version)."""
        state = self._load().get(dataset) or {}
        key = sha or state.get("current")
        return sorted(state.get("expired", {}).get(key, [])) if key else []

    def expire(self, dataset: str, sha: str, field: str) -> None:
        data = self._load()
        fields = data[dataset].setdefault("expired", {}).setdefault(sha, [])
        if field not in fields:
            fields.append(field)
        self._save(data)
