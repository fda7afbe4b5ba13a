"""Issue 15, personal data: a synthetic file of individuals loaded through real runs (DuckDB).

Each test reads what the scenario of ``conftest.py`` observed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from personal_support import DATASET, POLICIES

from territoria.governance.personal.erasure import ErasureLog
from territoria.governance.personal.keys import Keyring
from territoria.workspace.policies import as_policies


def test_the_data_is_synthetic_and_labelled_so(scenario: dict[str, Any]) -> None:
    entry = scenario["ws"].entries()[DATASET]
    assert entry.synthetic and "synthétiques" in entry.description


def test_no_direct_identifier_reaches_staging_models_or_the_records(scenario: dict[str, Any]) -> None:
    tables, hits = scenario["store"]
    assert tables > 20 and hits == []
    assert scenario["staging_before"] == len(scenario["persons"])
    # the failing row and the ragged line are in the quarantine, by line and reason, without identifiers
    (bad, bad_raw, bad_errors), (ragged, ragged_raw, ragged_errors) = scenario["quarantine"]
    n = len(scenario["persons"])
    assert (bad, ragged) == (n + 2, n + 3) and ragged_raw is None
    assert "age: type-error" in " ".join(bad_errors) and "k1:" in bad_raw and "telephone" not in bad_raw
    assert "wrong number of fields" in " ".join(ragged_errors)


def test_no_direct_identifier_in_any_file_but_the_raw_landing(scenario: dict[str, Any]) -> None:
    scanned, hits = scenario["files"]
    assert scanned > 10 and hits == []
    raw_hits = scenario["files_raw"][1]
    assert raw_hits and all(" in landing/objects/" in h for h in raw_hits)


def test_no_direct_identifier_in_any_route(scenario: dict[str, Any]) -> None:
    api = scenario["api"]
    assert api["hits"] == []
    # not vacuous: the routes served the personal rows, pseudonymised
    assert api["ok"] > 30 and any("k1:" in body for body in api["bodies"])


def test_a_withdrawn_consent_removes_the_person_everywhere(scenario: dict[str, Any]) -> None:
    after, gone, persons = scenario["after_withdrawal"], scenario["leaving_k1"], scenario["persons"]
    for where in ("staging", "model", "published", "published_derived"):
        assert gone not in after[where], where
    assert len(after["staging"]) == len(persons) - 1
    code = scenario["leaving"].code
    assert after["per_commune"][code] == scenario["per_commune_before"][code] - 1


def test_retention_erases_what_the_plan_said_and_signs_it(scenario: dict[str, Any]) -> None:
    planned, applied = scenario["plan"], scenario["applied"]
    assert planned == applied
    layers = {i.layer for i in applied}
    assert layers == {"landing", "published"}  # raw bytes and the earlier snapshot's copy
    assert not any(scenario["paths_after"].values())
    assert scenario["plan_after"] == []
    assert [e["what"] for e in scenario["log"]] == [i.what for i in applied]
    assert scenario["log_problems"] == []


def test_a_key_rotation_re_pseudonymises_and_keeps_withdrawals(scenario: dict[str, Any]) -> None:
    rotated = scenario["rotated"]
    assert rotated["key"] == "k2"
    assert all(p.startswith("k2:") for p in rotated["staging"])
    assert len(rotated["staging"]) == len(scenario["persons"]) - 1
    assert rotated["leaving_k2"] not in rotated["staging"]


def test_an_ended_supply_convention_empties_the_dataset_and_what_derives_from_it(scenario: dict[str, Any]) -> None:
    assert set(scenario["ended"].values()) == {0}


def test_tampering_with_the_erasure_record_shows(tmp_path: Path, scenario: dict[str, Any]) -> None:
    ws = scenario["ws"]
    record = ws.private / "personal" / "erasures.jsonl"
    copy = tmp_path / "personal" / "erasures.jsonl"
    copy.parent.mkdir()
    lines = record.read_text(encoding="utf-8").splitlines()
    copy.write_text("\n".join([lines[0].replace('"landing"', '"staging"'), *lines[1:]]) + "\n", encoding="utf-8")
    problems = ErasureLog(tmp_path, Keyring(ws.private).signing()).verify()
    assert problems == ["entry 1: its signature does not match its content"]
    copy.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    assert "not in its place" in ErasureLog(tmp_path, Keyring(ws.private).signing()).verify()[0]


def test_policies_of_the_scenario_are_valid() -> None:
    typed = as_policies(POLICIES)
    assert typed.conventions[0].active(date(2030, 1, 1)) and not typed.conventions[0].active(date(2019, 1, 1))
