"""Purposes, conventions, re-identification and the declarations a user writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from personal_support import DATASET, PURPOSE
from pydantic import ValidationError

from territoria.api import create_app
from territoria.catalog.model import Field
from territoria.core.errors import ConfigError, UserError
from territoria.core.vocab import AccessLevel
from territoria.governance.access import ACCESS_DB, AccessPolicy, AccessStore, Principal, Role, check_purpose
from territoria.governance.audit import AuditLog
from territoria.governance.personal.consent import ConsentLedger
from territoria.governance.personal.keys import Keyring, digest
from territoria.governance.personal.reident import ReidentificationTable, admin
from territoria.workspace.policies import as_policies

ARS = "Veille sanitaire canicule"


def _policy() -> AccessPolicy:
    return AccessPolicy({"conventions": [{"partner": "ars", "datasets": ["d"], "purpose": ARS, "start": "2020-01-01"}]})


def test_a_blank_or_one_space_purpose_is_refused() -> None:
    agent = _policy().decide(Principal("a", Role.admin), "d", AccessLevel.personal)
    for blank in ("", " ", " \t "):
        checked = check_purpose(agent, AccessLevel.personal, blank)
        assert checked.purpose is None and checked.refusal == "the purpose is blank"
    assert check_purpose(agent, AccessLevel.personal, None).refusal is not None
    assert check_purpose(agent, AccessLevel.personal, "  plan  canicule ").purpose == "plan canicule"


def test_a_convention_read_needs_the_conventions_purpose() -> None:
    partner = Principal("p", Role.partner, "ars", "t1")
    decision = _policy().decide(partner, "d", AccessLevel.personal)
    assert decision.allowed and decision.convention is not None
    wrong = check_purpose(decision, AccessLevel.personal, "statistiques diverses")
    assert wrong.refusal is not None and ARS in (wrong.hint or "")
    assert (
        check_purpose(decision, AccessLevel.personal, "veille  SANITAIRE canicule").purpose
        == "veille SANITAIRE canicule"
    )


def test_a_convention_not_yet_started_or_a_supply_convention_grants_no_read() -> None:
    later = AccessPolicy({"conventions": [{"partner": "ars", "datasets": ["d"], "start": "2999-01-01"}]})
    supply = AccessPolicy({"conventions": [{"partner": "ars", "datasets": ["d"], "kind": "supply"}]})
    partner = Principal("p", Role.partner, "ars", "t1")
    assert not later.decide(partner, "d", AccessLevel.personal).allowed
    assert not supply.decide(partner, "d", AccessLevel.personal).allowed


def _get(app: Any, url: str, token: str, purpose: str | None) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            params = {"purpose": purpose} if purpose is not None else {}
            return await c.get(url, params=params, headers={"Authorization": f"Bearer {token}"})

    return asyncio.run(go())


def test_the_api_checks_the_partners_purpose_against_the_convention(scenario: dict[str, Any]) -> None:
    ws = scenario["ws"]
    _, token = AccessStore(ws.private / ACCESS_DB).add("ars", "partner", "ars-synthetique")
    app = create_app(ws.root)
    url = "/api/datasets/personnes_agees/rows"
    for purpose in (None, " ", "curiosité"):
        r = _get(app, url, token, purpose)
        assert r.status_code == 400, (purpose, r.text)
    assert _get(app, url, token, "veille sanitaire  canicule").status_code == 200
    denied = [e for e in AuditLog(AccessStore(ws.private / ACCESS_DB)).entries(50) if e["who"] == "ars"]
    assert {e["detail"].get("reason") for e in denied if e["action"].startswith("denied")} >= {"the purpose is blank"}


def test_reidentification_is_admin_only_and_audited(scenario: dict[str, Any]) -> None:
    ws, person = scenario["ws"], scenario["persons"][3]
    pseudonym = Keyring(ws.private).current().pseudonym(person.identifiant)
    audit = AuditLog(AccessStore(ws.private / ACCESS_DB))
    table = ReidentificationTable(ws.private)
    with pytest.raises(UserError, match="only an administrator"):
        table.lookup(pseudonym, DATASET, who=Principal("x", Role.agent), purpose="appel canicule", audit=audit)
    with pytest.raises(UserError, match="needs a purpose"):
        table.lookup(pseudonym, DATASET, who=admin("dpo"), purpose=" ", audit=audit)
    found = table.lookup(pseudonym, DATASET, who=admin("dpo"), purpose="appel canicule", audit=audit)
    assert found == person.identifiant
    actions = [(e["action"], e["who"]) for e in audit.entries(20)]
    assert ("reidentify", "dpo") in actions and ("denied:reidentify", "x") in actions
    assert audit.verify().ok


def test_keys_are_private_and_pseudonyms_are_a_keyed_hmac(scenario: dict[str, Any]) -> None:
    import hashlib
    import hmac

    ws = scenario["ws"]
    path = ws.private / "personal" / "keys.json"
    assert path.stat().st_mode & 0o777 == 0o600
    key = Keyring(ws.private).current()
    assert key.pseudonym(" SYN-1 ") == f"{key.id}:" + hmac.new(key.secret, b"SYN-1", hashlib.sha256).hexdigest()
    assert digest(b"other key", "SYN-1") != digest(key.secret, "SYN-1")


def test_consent_needs_an_identifier_and_a_purpose(scenario: dict[str, Any]) -> None:
    ledger = ConsentLedger(scenario["ws"].private)
    with pytest.raises(UserError, match="purpose is blank"):
        ledger.record("SYN-1", DATASET, "  ", "withdrawn")
    with pytest.raises(UserError, match="identifier is blank"):
        ledger.record(" ", DATASET, PURPOSE, "withdrawn")


def test_personal_declarations_are_checked() -> None:
    with pytest.raises(ValidationError, match="pseudonymised field is a string"):
        Field(name="id", type="integer", personal="pseudonymise")
    with pytest.raises(ValidationError, match="checked on the pseudonym"):
        Field.model_validate({"name": "id", "personal": "pseudonymise", "constraints": {"pattern": "^S"}})
    with pytest.raises(ValidationError):
        Field.model_validate({"name": "id", "personal": "hash"})
    with pytest.raises(ConfigError, match="blank"):
        as_policies({"personal": {"datasets": {"d": {"purpose": " ", "legal_basis": "x"}}}})
    with pytest.raises(ConfigError, match="before it starts"):
        as_policies(
            {"conventions": [{"partner": "p", "datasets": ["d"], "start": "2026-01-01", "until": "2025-01-01"}]}
        )


def test_config_validate_names_rules_for_unknown_datasets_and_planning_writes_nothing(tmp_path: Path) -> None:
    from personal_support import build, people

    from territoria.pipelines.config_check import check_workspace

    ws = build(tmp_path / "ws", people(3))
    policies = yaml.safe_load((ws.root / "policies.yaml").read_text(encoding="utf-8"))
    policies["retention"]["datasets"]["individu"] = {"landing_days": 1}
    (ws.root / "policies.yaml").write_text(yaml.safe_dump(policies, allow_unicode=True), encoding="utf-8")
    issues = check_workspace(ws.root)
    assert [i.slug for i in issues] == ["unknown-dataset"] and "individus" in (issues[0].hint or ""), issues
    assert not (ws.private / "personal" / "keys.json").exists()
    assert not (ws.private / "personal" / "consent.sqlite").exists()


@settings(max_examples=200, deadline=None)
@given(
    blank=st.text(alphabet=" \t\n\r\u00a0\u2009", min_size=1, max_size=6),
    words=st.lists(st.text(alphabet="abcdéèçàABCDÉ'", min_size=1, max_size=8), min_size=1, max_size=4),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=5, max_size=5),
)
def test_purposes_property(blank: str, words: list[str], gaps: list[str]) -> None:
    """Whitespace alone is never a purpose; under a convention, only its own words (any case, any
    spacing) are, and anything else is refused."""
    purpose = " ".join(words)
    conv = AccessPolicy({"conventions": [{"partner": "p", "datasets": ["d"], "purpose": purpose}]})
    decision = conv.decide(Principal("p", Role.partner, "p", "t"), "d", AccessLevel.personal)
    assert check_purpose(decision, AccessLevel.personal, blank).refusal == "the purpose is blank"
    respaced = gaps[0] + "".join(w.swapcase() + g for w, g in zip(words, gaps[1:] + [" "] * 4, strict=False))
    assert check_purpose(decision, AccessLevel.personal, respaced).refusal is None
    assert check_purpose(decision, AccessLevel.personal, purpose + " bis").refusal is not None
