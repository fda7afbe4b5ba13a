"""The audit log: every read of restricted or personal data, with who, what, when and why."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from territoria.core.vocab import AccessLevel
from territoria.governance.access import AccessStore, Principal


class AuditLog:
    def __init__(self, store: AccessStore) -> None:
        self.store = store

    def record(
        self,
        who: Principal,
        action: str,
        dataset: str,
        access: AccessLevel,
        purpose: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO audit (at, who, role, organisation, token_id, action, dataset, access, purpose, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(),
                    who.name,
                    who.role.value,
                    who.organisation,
                    who.token_id,
                    action,
                    dataset,
                    access.value,
                    purpose,
                    json.dumps(detail or {}, ensure_ascii=False, default=str),
                ),
            )

    def entries(self, limit: int = 100, dataset: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM audit" + (" WHERE dataset = ?" if dataset else "") + " ORDER BY id DESC LIMIT ?"
        params: tuple[Any, ...] = (dataset, limit) if dataset else (limit,)
        with self.store.connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(sql, params).fetchall()
        out = [dict(r) for r in rows]
        for r in out:
            r["detail"] = json.loads(r["detail"] or "{}")
        return out
