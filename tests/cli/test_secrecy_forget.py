"""`territoria secrecy forget` end to end on a workspace, as a user runs it: the audited reset of a
dataset's secrecy memory after a rule was relaxed, and the audit of the next publication against
the forgotten one."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from secrecy.test_republication import POLICIES  # tests/ is on sys.path (rootdir conftest)
from secrecy.test_republication_runs import FIRST, SOURCE, _workspace, _write
from territoria.core.yamlio import write_yaml
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

from .conftest import Territoria

Key = tuple[str, ...]


def _relaxed(threshold: int) -> dict[str, Any]:
    rules = dict(POLICIES["secrecy"]["cells"])
    rules["rules"] = [{**rules["rules"][0], "threshold": threshold}]
    return {"secrecy": {"cells": rules}}


def _audit_log(ws: Workspace) -> AuditLog:
    return AuditLog(AccessStore(ws.private / ACCESS_DB))


def _hidden(ws: Workspace) -> set[Key]:
    con = duckdb.connect(str(ws.store_dir / "store.duckdb"), read_only=True)
    try:
        rows = con.execute(f'SELECT code, sector, period FROM published."{SOURCE}" WHERE secret').fetchall()
    finally:
        con.close()
    return set(rows)


def _run(ws: Workspace) -> dict[str, str]:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [r.error for r in summary.failed]
    return {r.step: r.status for r in summary.records}


def test_forget_end_to_end_on_a_workspace(
    tmp_path: Path, territoria: Territoria, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published under the rule (< 10 sites hidden), then the officer relaxes it to < 5: the memory
    keeps every cell hidden. `forget` refuses without a reason, asks before it acts, records who, when
    and why; the next run publishes again with the relaxed rule alone, and the audit reports the
    cells the forgotten publication hid that the new one gives back."""
    ws = _workspace(tmp_path / "ws")
    _write(ws, FIRST)
    _run(ws)
    hidden1 = _hidden(ws)
    assert ("C0", "S2", "2020") in hidden1  # 9 sites
    write_yaml(ws.root / "policies.yaml", {**DEFAULT_POLICIES, **_relaxed(5)})
    _run(ws)
    remembered = _hidden(ws)
    assert hidden1 <= remembered  # remembered (and protected by its own patterns)
    where = ("-w", str(ws.root))

    refused = territoria("secrecy", "forget", SOURCE, *where)
    assert refused.code == 2 and "needs a reason" in refused.text and "--reason" in refused.text, refused.text
    blank = territoria("secrecy", "forget", SOURCE, "--reason", "  ", "--yes", *where)
    assert blank.code == 2 and "needs a reason" in blank.text
    unknown = territoria("secrecy", "forget", "sites-secteur", "--reason", "x", *where)
    assert unknown.code == 2 and "sites-secteurs" in unknown.text  # did you mean
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    declined = territoria("secrecy", "forget", SOURCE, "--reason", "seuil 5", *where)
    assert declined.code == 1 and "by difference" in declined.text and "nothing forgotten" in declined.text
    assert _audit_log(ws).entries() == [] and "skipped" in _run(ws).values()  # nothing forgotten: nothing reruns

    why = "décision du 3 décembre : seuil abaissé à 5"
    done = territoria("secrecy", "forget", SOURCE, "--reason", why, "--yes", *where)
    assert done.code == 0 and "forgotten: sites-secteurs" in done.text, done.text
    [entry] = _audit_log(ws).entries()
    assert (entry["action"], entry["dataset"], entry["purpose"]) == ("secrecy:forget", SOURCE, why)
    assert entry["who"].startswith("cli:") and entry["detail"]["datasets"][SOURCE]["primary"] > 0
    assert _audit_log(ws).verify().ok

    assert _run(ws)[f"publish:{SOURCE}"] == "success"  # nothing changed, yet the step decides again
    hidden2 = _hidden(ws)
    assert ("C0", "S2", "2020") not in hidden2 and hidden2 < remembered
    audit = territoria("secrecy", "audit", *where, "--json")
    # C0 x S2 (9 sites): primary under the first rule, hidden since by the memory (remembered as the
    # primary cell it was), given back and determined by the two publications: the audit fails.
    # Before, the memory's publication reported it secondary and the audit passed.
    assert audit.code == 1, audit.text
    [across] = json.loads(audit.text)["across"]  # white space made one space: still the same JSON
    assert across["dataset"] == SOURCE and across["primary_determined"] >= 1
    c0 = {"code": "C0", "sector": "S2", "period": "2020"}
    assert [(e["publication"], e["status"]) for e in across["examples"] if e["cell"] == c0] == [
        ("previous", "remembered primary")
    ]
    shown = territoria("secrecy", "audit", *where)
    assert "across publications" in shown.text and "code=C0, sector=S2, period=2020" in shown.text, shown.text

    again = territoria("secrecy", "forget", SOURCE, "--reason", why, "--yes", *where)
    assert again.code == 0, again.text  # the new publication's memory (its primary cells under 5)


def test_forget_help_says_what_it_risks(territoria: Territoria) -> None:
    result = territoria("secrecy", "forget", "--help")
    assert result.code == 0
    text = result.text
    assert "differencing" in text.lower() and "--reason" in text and "--yes" in text and "audit log" in text


def test_a_reset_that_fails_midway_forgets_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reports and the steps' keys are reset in one transaction: a failure after the reports
    were set aside (here, clearing the steps' keys) leaves the memory whole, as before the command,
    rather than a group where some members forget and the others force their cells back."""
    from territoria.core.vocab import AccessLevel
    from territoria.governance.personal.reident import admin
    from territoria.governance.secrecy import forget as memory

    ws = _workspace(tmp_path / "ws")
    _write(ws, FIRST)
    _run(ws)

    def broken(engine: object, steps: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(memory, "forget_steps", broken)
    with ws.engine() as engine:
        before = memory.remembered(engine, [SOURCE])
        assert before
        with pytest.raises(OSError, match="disk full"):
            memory.forget(
                engine,
                _audit_log(ws),
                admin("cli:test"),
                SOURCE,
                AccessLevel.open,
                "seuil 5",
                {SOURCE: f"publish:{SOURCE}"},
            )
        assert memory.remembered(engine, [SOURCE]) == before
    assert "skipped" in _run(ws).values()  # nothing forgotten: the publication is not decided again
