"""The audit log is tamper-evident: `territoria audit verify` finds edits, deletions, reordering and a cut tail."""

from __future__ import annotations

import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.vocab import AccessLevel
from territoria.governance import audit as audit_module
from territoria.governance.access import AccessStore, Principal, Role
from territoria.governance.audit import AuditLog

WHO = Principal("agent x", Role.agent, None, "t1")


def _log(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(AccessStore(tmp_path / "access.sqlite"))
    for i in range(n):
        log.record(WHO, "rows", f"d{i}", AccessLevel.restricted, "contrôle", {"i": i})
    return log


def _tamper(log: AuditLog, *sql: str) -> None:
    db = sqlite3.connect(log.store.path)
    db.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;" + ";".join(sql))
    db.commit()
    db.close()


def test_an_intact_log_verifies_and_the_store_is_private(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert log.verify().ok and log.verify().entries == 5
    assert stat.S_IMODE(log.store.path.stat().st_mode) == 0o600


def test_sqlite_refuses_updates_and_deletes(tmp_path: Path) -> None:
    log = _log(tmp_path)
    db = sqlite3.connect(log.store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit WHERE id = 2")
    db.close()


@pytest.mark.parametrize(
    ("tampering", "expected"),
    [
        ("UPDATE audit SET purpose = 'autre chose' WHERE id = 3", "entry 3: its content was changed"),
        ("DELETE FROM audit WHERE id = 3", "entry 4: expected entry 3"),
        (
            "UPDATE audit SET id = 99 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; "
            "UPDATE audit SET id = 3 WHERE id = 99",
            "entry 2",
        ),
        ("DELETE FROM audit WHERE id = 5", "its tail was cut"),
    ],
    ids=["edit", "delete", "reorder", "truncate"],
)
def test_verify_detects_tampering(tmp_path: Path, tampering: str, expected: str) -> None:
    log = _log(tmp_path)
    _tamper(log, tampering)
    result = log.verify()
    assert not result.ok and any(expected in p for p in result.problems), result.problems


def test_the_cli_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from territoria.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", epci="243500139")
    log = _log(ws.private)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--workspace", str(ws.root)])
    assert ok.exit_code == 0, ok.output
    _tamper(log, "UPDATE audit SET who = 'quelqu''un' WHERE id = 1")
    bad = runner.invoke(app, ["audit", "verify", "--workspace", str(ws.root)])
    assert bad.exit_code == 1 and "entry 1" in bad.output


def test_tokens_expire_and_keep_to_their_scope(tmp_path: Path) -> None:
    store = AccessStore(tmp_path / "access.sqlite")
    _, short = store.add("short", "agent", expires=timedelta(seconds=-1))
    assert store.authenticate(short) is None
    _, scoped = store.add("scoped", "agent", expires=timedelta(days=90), scope=["a"])
    who = store.authenticate(scoped)
    assert who is not None and who.scope == frozenset({"a"})
    from territoria.governance.access import AccessPolicy

    policy = AccessPolicy(None)
    assert policy.decide(who, "a", AccessLevel.restricted).allowed
    assert not policy.decide(who, "b", AccessLevel.restricted).allowed
    assert policy.decide(who, "b", AccessLevel.open).allowed


#: the audit table as stores created before NULL datasets had it (``dataset`` NOT NULL)
FORMER_AUDIT = """
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
    organisation TEXT, token_id TEXT, action TEXT NOT NULL, dataset TEXT NOT NULL,
    access TEXT NOT NULL, purpose TEXT, detail TEXT, prev_hash TEXT, hash TEXT)
"""


def _dataset_nullable(path: Path) -> bool:
    with sqlite3.connect(path) as db:
        return not any(r[1] == "dataset" and r[3] for r in db.execute("PRAGMA table_info(audit)"))


def test_a_former_log_loses_its_not_null_and_keeps_its_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal naming no dataset is logged with NULL; a log written when the column was NOT NULL
    (refusals then had an empty string) is migrated when opened, its entries and hashes as they
    were, and ``users audit`` shows either as no dataset."""
    from territoria.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", epci="243500139")
    path = ws.private / "access.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(FORMER_AUDIT)
    path.chmod(0o600)
    with monkeypatch.context() as patch:  # the former writer: nothing migrated, "" for no dataset
        patch.setattr(audit_module, "_dataset_not_null", lambda db: False)
        former = AuditLog(AccessStore(path))
        former.record(WHO, "denied:token", "", AccessLevel.open, None, {"dataset_known": False})
        former.record(WHO, "rows", "d1", AccessLevel.restricted, "contrôle")
        with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
            former.record(WHO, "denied:token", None, AccessLevel.open, None)
    assert not _dataset_nullable(path)
    log = AuditLog(AccessStore(path))
    assert _dataset_nullable(path)
    assert [e["dataset"] for e in log.entries()] == ["d1", ""]
    log.record(WHO, "denied:token", None, AccessLevel.open, None, {"dataset_known": False})
    assert [e["dataset"] for e in log.entries()] == [None, "d1", ""]
    assert log.verify().ok and log.verify().entries == 3
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the triggers came back
        db.execute("DELETE FROM audit WHERE id = 1")
    db.close()
    AuditLog(AccessStore(path))  # opened again: nothing left to migrate
    assert log.verify().ok
    shown = CliRunner().invoke(app, ["users", "audit", "--workspace", str(ws.root)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in shown.output.splitlines() if "│" in line]
    assert [row[5] for row in cells] == ["—", "d1", "—"]  # the dataset column, newest first


def test_a_crash_right_after_the_migration_leaves_the_log_append_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuilt table lost the triggers with the old one: they are made again in the same
    transaction, so a process killed once the rebuild is committed leaves no window (until the
    log's next opening) where an entry can be changed or deleted."""
    path = tmp_path / "access.sqlite"
    AccessStore(path)
    with sqlite3.connect(path) as db:  # a log written when ``dataset`` was NOT NULL, one entry
        db.execute("DROP TABLE audit")
        db.execute(FORMER_AUDIT)
    with monkeypatch.context() as patch:
        patch.setattr(audit_module, "_dataset_not_null", lambda db: False)
        AuditLog(AccessStore(path)).record(WHO, "rows", "d1", AccessLevel.restricted, "contrôle")
    migrate = audit_module._nullable_dataset

    def killed_after(db: sqlite3.Connection) -> None:
        migrate(db)
        raise KeyboardInterrupt  # the process dies before the rest of the opening

    monkeypatch.setattr(audit_module, "_nullable_dataset", killed_after)
    with pytest.raises(KeyboardInterrupt):
        AuditLog(AccessStore(path))
    assert _dataset_nullable(path)
    db = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit SET dataset = 'd2' WHERE id = 1")
    finally:
        db.close()


def test_a_new_log_is_created_with_a_nullable_dataset_and_not_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store created now has ``dataset`` nullable from the start: opening its log migrates
    nothing (the rebuild is for logs written before), and a refusal naming no dataset logs NULL."""
    path = tmp_path / "access.sqlite"
    AccessStore(path)
    assert _dataset_nullable(path)

    def no_rebuild(db: sqlite3.Connection) -> None:
        raise AssertionError("a new log was rebuilt")

    monkeypatch.setattr(audit_module, "_nullable_dataset", no_rebuild)
    log = AuditLog(AccessStore(path))
    log.record(WHO, "denied:token", None, AccessLevel.open, None, {"dataset_known": False})
    log.record(WHO, "rows", "d1", AccessLevel.restricted, "contrôle")
    assert [e["dataset"] for e in log.entries()] == ["d1", None]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM audit WHERE dataset IS NULL").fetchone() == (1,)
    assert log.verify().ok
