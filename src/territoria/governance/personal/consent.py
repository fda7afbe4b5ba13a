"""The consent ledger: who gave or withdrew consent, for which dataset and purpose, and when.

Kept in ``.territoria/personal/consent.sqlite`` (0600). A person is never named in it: the
identifier an operator types is turned into its pseudonym under every key the workspace holds
(``keys.py``), and only the pseudonyms are stored, so a withdrawal recorded before a key
rotation still matches the rows the producer sends after it. A person's state for a dataset is
their latest event; a withdrawal dated today or earlier removes their rows at the next run
(``gate.py``), and so from staging, from every derived table and from the next publication.
Events are appended, never updated: the history of a consent is kept.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from territoria.core.errors import UserError
from territoria.governance.personal.files import DIR, personal_dir, private_db
from territoria.governance.personal.keys import Keyring

DB = "consent.sqlite"
Event = Literal["given", "withdrawn"]


@dataclass(frozen=True)
class ConsentEvent:
    subject: str
    dataset: str
    purpose: str
    event: Event
    on: date
    recorded_at: str


class ConsentLedger:
    def __init__(self, private: Path) -> None:
        self.private = private
        self.path = private / DIR / DB

    def connect(self) -> AbstractContextManager[sqlite3.Connection]:
        personal_dir(self.private)
        return private_db(self.path)

    def _create(self) -> None:
        with self.connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS consent (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, "
                "dataset TEXT NOT NULL, purpose TEXT NOT NULL, event TEXT NOT NULL, on_date TEXT NOT NULL, "
                "recorded_at TEXT NOT NULL)"
            )

    def record(self, identifier: str, dataset: str, purpose: str, event: Event, on: date | None = None) -> int:
        """Record one event for the person ``identifier`` (stored as pseudonyms only); return how many rows."""
        if not identifier.strip():
            raise UserError("the person's identifier is blank", hint="pass the identifier the dataset's producer uses")
        if not purpose.strip():
            raise UserError("the purpose is blank", hint='say which processing the consent is about: --purpose "..."')
        day = on or datetime.now(UTC).date()
        at = datetime.now(UTC).isoformat()
        keys = Keyring(self.private).all()
        self._create()
        with self.connect() as db:
            db.executemany(
                "INSERT INTO consent (subject, dataset, purpose, event, on_date, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(k.pseudonym(identifier), dataset, purpose.strip(), event, day.isoformat(), at) for k in keys],
            )
        return len(keys)

    def events(self, dataset: str | None = None) -> list[ConsentEvent]:
        if not self.path.exists():  # nothing recorded yet: reading creates nothing
            return []
        sql = "SELECT subject, dataset, purpose, event, on_date, recorded_at FROM consent"
        params: tuple[str, ...] = ()
        if dataset:
            sql, params = sql + " WHERE dataset = ?", (dataset,)
        with self.connect() as db:
            rows = db.execute(sql + " ORDER BY on_date, id", params).fetchall()
        return [ConsentEvent(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]), r[5]) for r in rows]

    def withdrawn(self, dataset: str, today: date | None = None) -> set[str]:
        """The pseudonyms (under any key) whose latest event for ``dataset`` is a withdrawal in effect."""
        day = today or datetime.now(UTC).date()
        latest: dict[str, ConsentEvent] = {}
        for ev in self.events(dataset):
            if ev.on <= day:
                latest[ev.subject] = ev
        return {s for s, ev in latest.items() if ev.event == "withdrawn"}

    def digest(self, dataset: str, today: date | None = None) -> str:
        """Changes when someone's consent for ``dataset`` changes: part of the ingest step's definition."""
        return hashlib.sha256("\n".join(sorted(self.withdrawn(dataset, today))).encode()).hexdigest()[:16]
