"""Opendatasoft Explore v2.1 against its contract server, end to end through run_pipeline."""

from __future__ import annotations

import pytest

from territoria.testing.entries import table_schema
from territoria.workspace import Workspace

from .conftest import FAST, add_source, fetches, run_one, step, table
from .contract.base import Server
from .contract.ods import conso_rows, make_dataset

SCHEMA = table_schema(
    {
        "annee": "year",
        "code_iris": "string",
        "nom_commune": "string",
        "nb_sites_residentiel": "integer",
        "conso_totale_residentiel_mwh": "number",
    }
)


def source(server: Server, **extra: object) -> dict[str, object]:
    return {"kind": "ods", "portal": server.url, "dataset": "conso-iris", **FAST, **extra}


def test_export_then_unchanged_metadata_downloads_nothing(small_ws: Workspace, ods: Server) -> None:
    add_source(small_ws, "conso", source(ods), SCHEMA)
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    assert len(table(small_ws, "conso")) == 250
    assert len(ods.served.hits("/exports/csv")) == 1
    assert ods.served.hits("/exports/csv")[0].query["delimiter"] == [";"]

    assert step(run_one(small_ws, "conso"), "conso").status == "skipped"
    records = fetches(small_ws, "conso")
    assert records[1]["status"] == "unchanged (portal metadata `modified` unchanged)"
    assert records[1]["bytes"] == 0 and records[1]["changed"] is False
    assert len(ods.served.hits("/exports/csv")) == 1  # nothing downloaded the second time

    ods.served.state["datasets"]["conso-iris"] = make_dataset(conso_rows(260), modified="2025-04-01T00:00:00+00:00")
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    assert len(table(small_ws, "conso")) == 260
    assert fetches(small_ws, "conso")[-1]["headers"]["modified"] == "2025-04-01T00:00:00+00:00"


def test_records_pages_respect_the_limits(small_ws: Workspace, ods: Server) -> None:
    add_source(
        small_ws, "conso", source(ods, mode="records", where='nom_commune="Rennes"', refine=['annee:"2021"']), SCHEMA
    )
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    rows = table(small_ws, "conso", "SELECT DISTINCT nom_commune, annee FROM {t}")
    assert rows == [("Rennes", 2021)]
    pages = ods.served.hits("/records")
    assert all(int(p.query["limit"][0]) <= 100 for p in pages)
    expected = [r for r in conso_rows(250) if r["nom_commune"] == "Rennes" and r["annee"] == "2021"]
    assert len(table(small_ws, "conso")) == len(expected) == 21


def test_records_beyond_ten_thousand_ask_for_export(small_ws: Workspace, ods: Server) -> None:
    add_source(small_ws, "big", source(ods, dataset="big", mode="records"))
    rec = step(run_one(small_ws, "big"), "big")
    assert rec.status == "failed"
    assert "12000 records match" in rec.error and "use `mode: export`" in rec.error
    assert all(int(p.query["offset"][0]) + int(p.query["limit"][0]) <= 10_000 for p in ods.served.hits("/records"))


def test_records_limit_up_to_ten_thousand(small_ws: Workspace, ods: Server) -> None:
    add_source(small_ws, "big", source(ods, dataset="big", mode="records", limit=10_000))
    assert step(run_one(small_ws, "big"), "big").status == "success"
    assert table(small_ws, "big", "SELECT count(*) FROM {t}") == [(10_000,)]
    last = ods.served.hits("/records")[-1]
    assert int(last.query["offset"][0]) + int(last.query["limit"][0]) == 10_000


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"dataset": "inconnu"}, "HTTP 404 Not Found: DatasetNotFound — Dataset inconnu not found"),
        ({"mode": "records", "where": "annee >> 3"}, "HTTP 400 Bad Request: ODSQLError — Invalid ODSQL query"),
        ({"mode": "records", "format": "csv"}, "records mode lands Parquet"),
    ],
)
def test_portal_errors_are_quoted(small_ws: Workspace, ods: Server, options: dict[str, object], expected: str) -> None:
    add_source(small_ws, "conso", source(ods, **options))
    rec = step(run_one(small_ws, "conso"), "conso")
    assert rec.status == "failed" and expected in rec.error


def test_api_key_and_unexpected_bodies(small_ws: Workspace, ods: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    ods.served.state["apikey"] = "ods-key-0123"
    add_source(small_ws, "conso", source(ods, headers={"Authorization": "Apikey ${ODS_KEY}"}))
    monkeypatch.setenv("ODS_KEY", "wrong")
    rec = step(run_one(small_ws, "conso"), "conso")
    assert "HTTP 401" in rec.error and "InvalidAPIKey" in rec.error and "check the API key" in rec.error
    monkeypatch.setenv("ODS_KEY", "ods-key-0123")
    assert step(run_one(small_ws, "conso"), "conso").status == "success"

    ods.served.fault("/api/explore/v2.1/catalog/datasets/conso-iris", "html")
    rec = step(run_one(small_ws, "conso"), "conso")
    assert "served an HTML page instead of JSON" in rec.error


def test_json_not_as_documented(small_ws: Workspace, ods: Server) -> None:
    ods.served.state["datasets"]["conso-iris"]["fields"] = "oops"
    add_source(small_ws, "conso", source(ods))
    rec = step(run_one(small_ws, "conso"), "conso")
    assert "not what the Opendatasoft Explore API v2.1 documents: `fields` should be list, found str" in rec.error


def test_interrupted_export_keeps_the_previous_data(small_ws: Workspace, ods: Server) -> None:
    add_source(small_ws, "conso", source(ods), SCHEMA)
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    objects = sorted((small_ws.private / "landing" / "objects").rglob("*"))
    ods.served.state["datasets"]["conso-iris"] = make_dataset(conso_rows(300), modified="2025-05-01T00:00:00+00:00")
    ods.served.fault("/api/explore/v2.1/catalog/datasets/conso-iris/exports", "truncate", "truncate", "truncate")
    rec = step(run_one(small_ws, "conso"), "conso")
    assert rec.status == "failed" and "RemoteProtocolError" in rec.error
    assert sorted((small_ws.private / "landing" / "objects").rglob("*")) == objects
    assert len(table(small_ws, "conso")) == 250
    assert step(run_one(small_ws, "conso"), "conso").status == "success"  # the next run catches up
    assert len(table(small_ws, "conso")) == 300


def test_structure_change_fails_before_downloading(small_ws: Workspace, ods: Server) -> None:
    add_source(small_ws, "conso", source(ods), SCHEMA)
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    rows = [{k: v for k, v in r.items() if k != "nb_sites_residentiel"} for r in conso_rows(250)]
    changed = make_dataset(rows, modified="2025-06-01T00:00:00+00:00")
    changed["fields"][0]["type"] = "int"
    ods.served.state["datasets"]["conso-iris"] = changed
    exports = len(ods.served.hits("/exports/"))
    rec = step(run_one(small_ws, "conso"), "conso")
    assert rec.status == "failed"
    assert "no longer publishes the field(s) nb_sites_residentiel declared in the schema" in rec.error
    assert len(ods.served.hits("/exports/")) == exports
    assert len(table(small_ws, "conso")) == 250

    add_source(small_ws, "conso", source(ods), {"fields": SCHEMA["fields"][:2]})
    assert step(run_one(small_ws, "conso"), "conso").status == "success"
    last = fetches(small_ws, "conso")[-1]["headers"]
    assert last["fields_removed"] == ["nb_sites_residentiel"] and last["fields_retyped"] == {"annee": ["text", "int"]}
