"""The personal-data scenario, built once per session (see test_personal_data.py): run → scan
everything for direct identifiers → a person withdraws their consent → run → retention plan and
apply → key rotation → run → the supply convention ends → run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from personal_support import BAD_NEEDLES, DATASET, DERIVED, PURPOSE, Person, build, people, phone
from scan import scan_api, scan_files, scan_store

from territoria.governance.personal.consent import ConsentLedger
from territoria.governance.personal.erasure import ErasureLog, apply, plan
from territoria.governance.personal.keys import Keyring
from territoria.ledger import now
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace
from territoria.workspace.policies import as_policies


def _run(ws: Workspace) -> Any:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    return summary


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with ws.engine() as engine:
        return engine.fetch_all(sql)


def _needles(persons: list[Person]) -> set[str]:
    # names are unique (suffixed); addresses, identifiers and phones as written in the file
    found = {p.nom for p in persons} | {p.adresse for p in persons} | {p.identifiant for p in persons}
    return found | {phone(p) for p in persons} | BAD_NEEDLES


def _published_ids(ws: Workspace, table: str) -> set[str]:
    import pyarrow.parquet as pq

    from territoria.publication.snapshot import current_snapshot

    snap = current_snapshot(ws.private)
    assert snap is not None
    return set(pq.read_table(snap.path / "published" / f"{table}.parquet").column("identifiant").to_pylist())


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    persons = people()
    ws = build(tmp_path_factory.mktemp("personal") / "ws", persons)
    needles = _needles(persons)
    obs: dict[str, Any] = {"ws": ws, "persons": persons, "needles": needles}
    _run(ws)
    obs["store"] = scan_store(ws, needles)
    allowed = {ws.landing.root / "objects", ws.private / "personal" / "reident.sqlite"}
    obs["files"] = scan_files(ws, needles, allowed)
    # the scanner finds what is there: the raw landed file holds every name (admin-only, see retention)
    obs["files_raw"] = scan_files(ws, needles, {ws.private / "personal" / "reident.sqlite"})
    obs["api"] = scan_api(ws, needles, [DATASET, *DERIVED, "communes"], PURPOSE)
    obs["staging_before"] = _rows(ws, f"SELECT count(*) FROM staging.{DATASET}")[0][0]
    obs["quarantine"] = _rows(ws, f"SELECT _line, _raw, _errors FROM quarantine.{DATASET} ORDER BY _line")

    # an elderly person (so in the derived table too) withdraws their consent
    leaving = next(p for p in persons if p.age >= 75)
    key = Keyring(ws.private).current()
    obs["leaving"], obs["leaving_k1"] = leaving, key.pseudonym(leaving.identifiant)
    obs["per_commune_before"] = dict(_rows(ws, "SELECT code, personnes FROM published.personnes_par_commune"))
    ConsentLedger(ws.private).record(leaving.identifiant, DATASET, PURPOSE, "withdrawn")
    _run(ws)
    obs["after_withdrawal"] = {
        "staging": {r[0] for r in _rows(ws, f"SELECT identifiant FROM staging.{DATASET}")},
        "model": {r[0] for r in _rows(ws, "SELECT identifiant FROM model.personnes_agees")},
        "published": _published_ids(ws, DATASET),
        "published_derived": _published_ids(ws, "personnes_agees"),
        "per_commune": dict(_rows(ws, "SELECT code, personnes FROM published.personnes_par_commune")),
    }

    policies = as_policies(ws.policies())
    at = now()
    with ws.engine() as engine:
        obs["plan"] = plan(ws.private, ws.landing, engine, policies, at)
        obs["applied"] = apply(ws.private, ws.landing, engine, policies, at, Keyring(ws.private).signing())
        obs["plan_after"] = plan(ws.private, ws.landing, engine, policies, at)
    log = ErasureLog(ws.private, Keyring(ws.private).signing())
    obs["log"], obs["log_problems"] = log.entries(), log.verify()
    obs["paths_after"] = {i.what: _exists(ws, i.layer, i.what) for i in obs["applied"]}

    new_key, _ = Keyring(ws.private).rotate()
    _run(ws)  # the raw file is landed again: the source is still supplied
    obs["rotated"] = {
        "key": new_key,
        "staging": {r[0] for r in _rows(ws, f"SELECT identifiant FROM staging.{DATASET}")},
        "leaving_k2": Keyring(ws.private).current().pseudonym(leaving.identifiant),
    }

    ended = yaml.safe_load((ws.root / "policies.yaml").read_text(encoding="utf-8"))
    ended["conventions"][0]["until"] = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    (ws.root / "policies.yaml").write_text(yaml.safe_dump(ended, allow_unicode=True), encoding="utf-8")
    _run(ws)
    obs["ended"] = {
        t: _rows(ws, f"SELECT count(*) FROM {t}")[0][0]
        for t in (f"staging.{DATASET}", "model.personnes_agees", f"published.{DATASET}", "published.personnes_agees")
    }
    return obs


def _exists(ws: Workspace, layer: str, what: str) -> bool:
    if layer == "landing":
        return ws.landing.path(what).exists()
    return (ws.private / what).exists()
