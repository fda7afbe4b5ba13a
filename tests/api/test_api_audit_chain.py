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
