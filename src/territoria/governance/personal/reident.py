"""The re-identification table: pseudonym -> identifier, for the datasets that declare ``reidentify``.

Only for a processing that must reach the person again (a heat-wave call list): it lives in
``.territoria/personal/reident.sqlite`` (0600, owner-only folder), never in the store, so no
model, route or export can read it. ``territoria personal reidentify`` (the workspace's owner,
i.e. an administrator) reads one pseudonym at a time, with a stated purpose, and every read —
found or not — is written to the hash-chained audit log first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from territoria.core.errors import NotFoundError, UserError
from territoria.core.vocab import AccessLevel
from territoria.governance.access import Principal, Role
from territoria.governance.audit import AuditLog
from territoria.governance.personal.files import personal_dir, private_db

DB = "reident.sqlite"


class ReidentificationTable:
    def __init__(self, private: Path) -> None:
        self.path = personal_dir(private) / DB
        with self.connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS reident (pseudonym TEXT NOT NULL, dataset TEXT NOT NULL, "
                "identifier TEXT NOT NULL, PRIMARY KEY (pseudonym, dataset))"
            )

    def connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return private_db(self.path)

    def add(self, dataset: str, pairs: Iterable[tuple[str, str]]) -> None:
        with self.connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO reident (pseudonym, dataset, identifier) VALUES (?, ?, ?)",
                [(p, dataset, i) for p, i in pairs],
            )

    def forget(self, dataset: str) -> int:
        with self.connect() as db:
            return db.execute("DELETE FROM reident WHERE dataset = ?", (dataset,)).rowcount

    def lookup(self, pseudonym: str, dataset: str, *, who: Principal, purpose: str | None, audit: AuditLog) -> str:
        """The identifier behind ``pseudonym``; admin only, with a purpose, audited before it is read."""
        if not who.admin:
            audit.record(who, "denied:reidentify", dataset, AccessLevel.personal, purpose, {"pseudonym": pseudonym})
            raise UserError("only an administrator may re-identify a person", hint="ask the workspace's administrator")
        if not purpose or not purpose.strip():
            raise UserError("re-identifying a person needs a purpose", hint='say why with --purpose "..." (audited)')
        audit.record(who, "reidentify", dataset, AccessLevel.personal, purpose.strip(), {"pseudonym": pseudonym})
        with self.connect() as db:
            row = db.execute(
                "SELECT identifier FROM reident WHERE pseudonym = ? AND dataset = ?", (pseudonym, dataset)
            ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no identifier kept for {pseudonym!r} in {dataset!r}",
                hint="only datasets with `reidentify: true` under personal.datasets keep one",
            )
        return str(row[0])


def admin(name: str) -> Principal:
    return Principal(name, Role.admin)
