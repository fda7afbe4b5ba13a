"""The audit log: every read of restricted or personal data, and every refused attempt, with who,
what, when and why.

The log is append-only and tamper-evident: each entry carries the hash of the previous one
(``prev_hash``) and its own (``hash``, over its fields and ``prev_hash``), so editing, deleting or
reordering an entry breaks the chain at that entry, and ``territoria users audit --verify``
(``AuditLog.verify``) says where. SQLite triggers refuse UPDATE and DELETE; someone with the
file can drop them, but not rewrite the chain without it showing: a verified head (the last
hash and count) is kept next to the database so that cutting the tail shows too.

``dataset`` is NULL on an entry that names none (a refused request whose route reads no dataset,
or names none known). Logs created before it could be had the column NOT NULL and such entries
an empty string: the table is rebuilt without the constraint when the log is opened (the entries
as they were, their hashes unchanged; the old ones keep their empty string, which readers show
as no dataset, like NULL).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from territoria.core.jsonfile import write_json
from territoria.core.vocab import AccessLevel
from territoria.core.wording import counted
from territoria.governance.access import AccessStore, Principal

GENESIS = "0" * 64
FIELDS = ("id", "at", "who", "role", "organisation", "token_id", "action", "dataset", "access", "purpose", "detail")
#: one statement each: ``_nullable_dataset`` runs them inside its transaction (``executescript`` commits first)
TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS audit_no_{op.lower()} BEFORE {op} ON audit\n"
    "    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    for op in ("UPDATE", "DELETE")
)
APPEND_ONLY = "".join(f"{trigger};\n" for trigger in TRIGGERS)


def entry_hash(prev: str, entry: dict[str, Any]) -> str:
    body = json.dumps([prev, *(entry[f] for f in FIELDS)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    entries: int
    #: what is wrong, each with the entry id where the chain breaks (empty: intact)
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


#: the audit table, its ``dataset`` nullable (``_nullable_dataset`` migrates older logs to it)
AUDIT_TABLE = """
CREATE TABLE {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
    organisation TEXT, token_id TEXT, action TEXT NOT NULL, dataset TEXT,
    access TEXT NOT NULL, purpose TEXT, detail TEXT, prev_hash TEXT, hash TEXT)
"""
_COLUMNS = (*FIELDS, "prev_hash", "hash")


def _dataset_not_null(db: sqlite3.Connection) -> bool:
    return any(r[1] == "dataset" and r[3] for r in db.execute("PRAGMA table_info(audit)"))


def _nullable_dataset(db: sqlite3.Connection) -> None:
    """Drop NOT NULL from ``audit.dataset`` (SQLite alters no constraint: copy into a new table,
    in one transaction). The triggers go with the old table and are made again in the same
    transaction: a process killed right after the rebuild leaves no log without them.
    Dropping a table fires no DELETE trigger, and the ids (and the AUTOINCREMENT counter, the
    largest id) are kept."""
    db.execute("BEGIN IMMEDIATE")  # a second process opening the log waits, then finds it done
    if not _dataset_not_null(db):
        db.execute("COMMIT")
        return
    columns = ", ".join(_COLUMNS)
    db.execute(AUDIT_TABLE.format(name="audit_migrated"))
    db.execute(f"INSERT INTO audit_migrated ({columns}) SELECT {columns} FROM audit ORDER BY id")
    db.execute("DROP TABLE audit")
    db.execute("ALTER TABLE audit_migrated RENAME TO audit")
    for trigger in TRIGGERS:
        db.execute(trigger)
    db.execute("COMMIT")


class AuditLog:
    def __init__(self, store: AccessStore) -> None:
        self.store = store
        self.head = store.path.with_name(store.path.name + ".audit-head")
        with store.connect() as db:
            if _dataset_not_null(db):
                _nullable_dataset(db)
            db.executescript(APPEND_ONLY)

    def record(
        self,
        who: Principal,
        action: str,
        dataset: str | None,
        access: AccessLevel,
        purpose: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.store.connect() as db:
            # IMMEDIATE: two writers (serve and a CLI export) must not both chain to the same entry
            db.execute("BEGIN IMMEDIATE")
            last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = (last[1] or GENESIS) if last else GENESIS
            entry_id = int(last[0]) + 1 if last else 1
            entry: dict[str, Any] = {
                "id": entry_id,
                "at": datetime.now(UTC).isoformat(),
                "who": who.name,
                "role": who.role.value,
                "organisation": who.organisation,
                "token_id": who.token_id,
                "action": action,
                "dataset": dataset,
                "access": access.value,
                "purpose": purpose,
                "detail": json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True),
            }
            digest = entry_hash(prev, entry)
            db.execute(
                f"INSERT INTO audit ({', '.join(FIELDS)}, prev_hash, hash) VALUES ({', '.join('?' * 13)})",
                (*(entry[f] for f in FIELDS), prev, digest),
            )
            self._write_head(entry_id, digest)

    def _write_head(self, count: int, digest: str) -> None:
        # on disk before the request is answered, as the entry it names (SQLite's commit)
        write_json(self.head, {"last_id": count, "hash": digest})

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

    def verify(self) -> Verification:
        """Walk the chain from the first entry: any edit, deletion or reordering breaks it."""
        with self.store.connect() as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY rowid")]
        problems: list[str] = []
        prev, expected_id = GENESIS, 1
        for row in rows:
            if row["id"] != expected_id:
                problems.append(f"entry {row['id']}: expected entry {expected_id} here (deleted or reordered)")
            if row["prev_hash"] != prev:
                problems.append(f"entry {row['id']}: does not follow the entry before it (deleted or reordered)")
            if row["hash"] != entry_hash(row["prev_hash"] or GENESIS, row):
                problems.append(f"entry {row['id']}: its content was changed after it was written")
            prev, expected_id = row["hash"], row["id"] + 1
        problems += self._check_head(rows)
        return Verification(len(rows), problems)

    def _check_head(self, rows: list[dict[str, Any]]) -> list[str]:
        if not self.head.exists():
            return [f"the log has {counted(len(rows), 'entry', 'entries')} but no head file"] if rows else []
        head = json.loads(self.head.read_text(encoding="utf-8"))
        if not rows or rows[-1]["id"] != head["last_id"] or rows[-1]["hash"] != head["hash"]:
            return [f"the log ends before entry {head['last_id']}, the last one written (its tail was cut)"]
        return []
