"""Per-field retention: ``retention apply`` expires a field of the current version once it is
older than its retention; the next run blanks it in staging and in everything derived."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import yaml
from personal_support import DATASET, build, people

from territoria.governance.personal.erasure import Erasure, ErasureLog, apply, plan
from territoria.governance.personal.keys import Keyring
from territoria.ledger import now
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace
from territoria.workspace.policies import as_policies


def _run_and_read(ws: Workspace, sql: str) -> list[tuple[object, ...]]:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
        assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
        return engine.fetch_all(sql)


def _enforce(ws: Workspace) -> tuple[list[Erasure], list[Erasure]]:
    policies = as_policies(ws.policies())
    with ws.engine() as engine:
        planned = plan(ws.private, ws.landing, engine, policies, now())
        done = apply(ws.private, ws.landing, engine, policies, now(), Keyring(ws.private).signing())
    return planned, done


def test_an_expired_field_is_blanked_by_the_next_run(tmp_path: Path) -> None:
    ws = build(tmp_path / "ws", people(6))
    policies = yaml.safe_load((ws.root / "policies.yaml").read_text(encoding="utf-8"))
    policies["retention"]["datasets"][DATASET] = {"fields": {"age": 30}}
    (ws.root / "policies.yaml").write_text(yaml.safe_dump(policies, allow_unicode=True), encoding="utf-8")
    ws = Workspace(ws.root)

    ages = _run_and_read(ws, f"SELECT count(age) FROM staging.{DATASET}")
    assert ages == [(6,)]
    assert _enforce(ws) == ([], [])  # ingested just now: within its 30 days

    # the version was first ingested 31 days ago
    versions = ws.private / "personal" / "versions.json"
    state = json.loads(versions.read_text(encoding="utf-8"))
    sha = state[DATASET]["current"]
    state[DATASET]["versions"][sha] = (now() - timedelta(days=31)).isoformat()
    versions.write_text(json.dumps(state), encoding="utf-8")
    planned, done = _enforce(ws)
    assert planned == done and [(e.layer, e.what) for e in done] == [("field", f"{sha}:age")]

    blanked = _run_and_read(
        ws,
        f"SELECT (SELECT count(age) FROM staging.{DATASET}), (SELECT count(*) FROM staging.{DATASET}), "
        "(SELECT count(age) FROM published.personnes_agees), "
        "(SELECT count(age_moyen) FROM model.personnes_par_commune)",
    )
    # the row whose age did not parse is valid once its age is blanked: 7 rows
    assert blanked == [(0, 7, 0, 0)]
    assert _enforce(ws) == ([], [])  # recorded once
    entries = ErasureLog(ws.private, Keyring(ws.private).signing()).entries()
    assert [e["layer"] for e in entries] == ["field"] and "30 days" in entries[0]["reason"]
