"""The API's French CSV is the CLI's: Table Schema titles as headers, ``;``, decimal comma at the
declared decimals, ``oui``/``non``; byte for byte the file ``territoria export -f csv`` writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.pipelines import build_plan
from territoria.publication.export import export_dataset
from territoria.workspace import Workspace


def _api_csv(client: httpx.Client, dataset: str) -> bytes:
    r = client.get(f"/api/datasets/{dataset}/export", params={"format": "csv"})
    assert r.status_code == 200, r.text
    return r.content


def test_headers_are_the_french_titles(client: httpx.Client) -> None:
    body = _api_csv(client, "population-communes")
    assert body.startswith(b"\xef\xbb\xbf")
    header, *rows = body.decode("utf-8-sig").splitlines()
    assert header == "Code INSEE de la commune;Nom de la commune;Population municipale;Année de référence"
    assert rows and all(len(r.split(";")) == 4 for r in rows)


def test_indicator_headers_are_french_titles(client: httpx.Client) -> None:
    """An indicator's columns come from its SQL: their titles from the shared vocabulary, the
    value's with the indicator's unit; the catalog's schema shows the same titles."""
    header = _api_csv(client, "densite_population").decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:3] == ["Indicateur", "Version de l’indicateur", "Maille"]
    assert {"Code du lieu", "Nom du lieu", "Période", "Valeur (hab/km²)", "Secret statistique"} <= set(header)
    assert not {"code", "value", "period", "mesh"} & set(header)
    fields = client.get("/api/catalog/densite_population").json()["schema"]["fields"]
    assert [f.get("title", f["name"]) for f in fields] == header
    std = client.get("/api/datasets/densite_population/export", params={"format": "csv-std"}).text.splitlines()[0]
    assert std.split(",")[:3] == ["indicator", "version", "mesh"]  # csv-std keeps the machine names


def test_decimal_comma_at_declared_decimals_and_oui_non(client: httpx.Client) -> None:
    rows = list(csv.DictReader(io.StringIO(_api_csv(client, "densite_population").decode("utf-8-sig")), delimiter=";"))
    rennes = next(r for r in rows if r["Code du lieu"] == "35238")
    whole, _, fraction = rennes["Valeur (hab/km²)"].partition(",")
    assert whole.isdigit() and len(fraction) <= 1  # densite_population declares 1 decimal
    assert {r["Secret statistique"] for r in rows} <= {"oui", "non", ""}
    assert "." not in rennes["Valeur (hab/km²)"]


@pytest.mark.parametrize("dataset", ["population-communes", "densite_population", "communes"])
def test_same_file_as_the_cli(client: httpx.Client, built_ws: Workspace, dataset: str, tmp_path: Path) -> None:
    plan = build_plan(built_ws)
    audit = AuditLog(AccessStore(built_ws.private / ACCESS_DB))
    with built_ws.engine(wait_seconds=30) as engine:
        export_dataset(plan, engine, dataset, "csv", tmp_path / "cli.csv", audit=audit)
    assert _api_csv(client, dataset) == (tmp_path / "cli.csv").read_bytes()
