"""`territoria sources add` and `territoria sources check` on real and contract servers."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.yamlio import read_yaml
from territoria.testing.postgres import PostgresServer
from territoria.workspace import Workspace

from .conftest import FAST, add_source, run_one, step, table
from .contract.base import Server
from .contract.files import FileServer, touch_later
from .contract.ods import conso_rows, make_dataset
from .contract.udata import resource

runner = CliRunner()


def cli(ws: Workspace, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--workspace", str(ws.root)], catch_exceptions=True)
    return result


def proposed(ws: Workspace, ident: str) -> dict[str, Any]:
    path = ws.sources_dir / f"{ident}.yaml"
    assert path.read_text(encoding="utf-8").startswith("# Proposed by `territoria sources add")
    doc: dict[str, Any] = read_yaml(path)
    return doc


def types(entry: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["type"] for f in entry["schema"]["fields"]}


def test_add_ods_proposes_a_runnable_entry(small_ws: Workspace, ods: Server) -> None:
    url = f"{ods.url}/api/explore/v2.1/catalog/datasets/conso-iris/records?limit=10"
    result = cli(small_ws, "sources", "add", url)
    assert result.exit_code == 0, result.output
    entry = proposed(small_ws, "conso-iris")
    assert entry["source"] == {"kind": "ods", "portal": ods.url, "dataset": "conso-iris"}
    assert entry["publisher"] == {"name": "Enedis"} and entry["licence"] == "Licence Ouverte v2.0 (Etalab)"
    assert types(entry) == {
        "annee": "string",
        "code_iris": "string",
        "nom_commune": "string",
        "nb_sites_residentiel": "integer",
        "conso_totale_residentiel_mwh": "number",
    }
    assert not ods.served.hits("/exports/")  # metadata only
    assert step(run_one(small_ws, "conso-iris"), "conso-iris").status == "success"
    assert len(table(small_ws, "conso-iris")) == 250
    assert cli(small_ws, "sources", "add", url).exception.message.endswith("already exists")


def test_add_udata_follows_the_schema_reference(small_ws: Workspace, udata: Server) -> None:
    schema_doc = {
        "fields": [
            {"name": "code_commune", "type": "string", "constraints": {"required": True, "pattern": "^\\d{5}$"}},
            {"name": "nb_bornes", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "coordonneesXY", "type": "geopoint", "format": "array"},
        ]
    }
    udata.served.state.update(
        datasets={
            "bornes": {
                "title": "Bornes IRVE",
                "publisher": "Rennes Métropole",
                "resources": [
                    resource(
                        "r1",
                        "irve.csv",
                        b"code_commune;nb_bornes\n35238;3\n",
                        "2025-01-01T00:00:00",
                        schema={
                            "name": "etalab/schema-irve-statique",
                            "version": "2.3.1",
                        },
                    )
                ],
            }
        },
        schema_catalog=[
            {
                "name": "etalab/schema-irve-statique",
                "schema_url": f"{udata.url}/schemas/latest.json",
                "versions": [{"version_name": "2.3.1", "schema_url": f"{udata.url}/schemas/2.3.1.json"}],
            }
        ],
        schema_files={"/schemas/2.3.1.json": schema_doc},
    )
    url = f"{udata.url}/api/1/datasets/bornes/"
    result = cli(small_ws, "sources", "add", url, "--schema-catalog", f"{udata.url}/schemas/schemas.json")
    assert result.exit_code == 0, result.output
    assert "schema from schema.data.gouv.fr: etalab/schema-irve-statique 2.3.1" in result.output
    entry = proposed(small_ws, "bornes")
    assert entry["source"]["kind"] == "udata" and entry["source"]["resource_format"] == "csv"
    assert entry["schema"]["fields"][0] == {
        "name": "code_commune",
        "type": "string",
        "constraints": {"required": True, "pattern": "^\\d{5}$"},
    }
    assert types(entry)["coordonneesXY"] == "string"  # geopoint: read as text


META = ("--licence", "Licence Ouverte 2.0", "--publisher", "Rennes Métropole")


def test_add_http_csv_infers_french_conventions(small_ws: Workspace, files: FileServer) -> None:
    text = "CODGEO;LIBGEO;PMUN;PART\n01001;L'Abergement;832;12,5\n35210;Pacé;12000;s\n35238;Rennes;227830;3\n"
    (files.root / "population.csv").write_bytes(text.encode("cp1252"))
    result = cli(small_ws, "sources", "add", f"{files.url}/population.csv")
    assert "does not say its licence or publisher" in str(result.exception)
    result = cli(small_ws, "sources", "add", f"{files.url}/population.csv", *META)
    assert result.exit_code == 0, result.output
    entry = proposed(small_ws, "population")
    assert entry["source"]["format"] == "csv"
    assert entry["source"]["read"] == {"delimiter": ";", "encoding": "cp1252"}
    fields = {f["name"]: f for f in entry["schema"]["fields"]}
    assert fields["CODGEO"] == {
        "name": "CODGEO",
        "type": "string",
        "constraints": {"pattern": "[0-9][0-9AB][0-9]{3}"},
        "format": "insee-commune",
    }
    assert fields["PMUN"]["type"] == "integer"
    assert fields["PART"] == {"name": "PART", "type": "number", "decimalChar": ",", "secretValues": ["s"]}


def test_add_hubeau_ogcapi_postgres(
    small_ws: Workspace, hubeau: Server, ogc: tuple[str, dict[str, Any]], pg: PostgresServer
) -> None:
    url = f"{hubeau.url}/api/v1/qualite_eau_potable/resultats_dis?code_commune=35238&size=50"
    assert cli(small_ws, "sources", "add", url).exit_code == 0
    entry = proposed(small_ws, "qualite-eau-potable-resultats-dis")
    assert entry["source"]["query"] == {"code_commune": "35238"}
    assert types(entry)["resultat_numerique"] == "number" and types(entry)["reseaux"] == "object"

    assert cli(small_ws, "sources", "add", f"{ogc[0]}/collections/communes/items", *META).exit_code == 0
    entry = proposed(small_ws, "communes")
    assert entry["title"] == "Communes" and types(entry) == {"code": "string", "rang": "integer", "geom": "geometry"}

    dsn = pg.create_database()
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("CREATE TABLE sites (id int, nom text, geom geometry(Point, 4326))")
    assert cli(small_ws, "sources", "add", f"{dsn}#public.sites", *META).exit_code == 0
    assert types(proposed(small_ws, "sites")) == {"id": "integer", "nom": "string", "geom": "geometry"}
    pg.drop_database(dsn)


def test_add_refuses_what_it_cannot_fetch(small_ws: Workspace) -> None:
    result = cli(small_ws, "sources", "add", "ftp://example.org/data.csv")
    assert "only http(s)://, file:// and postgresql:// URLs and local paths" in result.exception.message


def test_add_local_paths_and_compressed_files(small_ws: Workspace, tmp_path: Path) -> None:
    data = small_ws.root / "data"
    data.mkdir(exist_ok=True)
    text = "Code Commune;Nom;Conso;Date\n01001;L'Abergement;1 234,5;01/02/2023\n2A004;Ajaccio;s;15/12/2022\n"
    (data / "conso.csv.gz").write_bytes(gzip.compress(text.encode()))
    assert cli(small_ws, "sources", "add", "data/conso.csv.gz", *META).exit_code == 0
    entry = proposed(small_ws, "conso")
    assert entry["source"] == {"kind": "file", "path": "data/conso.csv.gz", "format": "csv", "read": {"delimiter": ";"}}
    fields = {f["name"]: f for f in entry["schema"]["fields"]}
    assert fields["Code Commune"]["format"] == "insee-commune"
    assert fields["Conso"] == {
        "name": "Conso",
        "type": "number",
        "decimalChar": ",",
        "groupChar": " ",
        "secretValues": ["s"],
    }
    assert fields["Date"] == {"name": "Date", "type": "date", "format": "%d/%m/%Y"}
    plain = data / "plain.csv"
    plain.write_text(text)
    assert cli(small_ws, "sources", "add", f"file://{plain}", *META).exit_code == 0
    assert proposed(small_ws, "plain")["source"]["path"] == "data/plain.csv"
    outside = tmp_path / "outside.csv"
    outside.write_text(text)
    assert "outside the workspace" in cli(small_ws, "sources", "add", str(outside), *META).exception.message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("page.csv", b"<!DOCTYPE html><html><body>404</body></html>", "HTML page"),
        ("vide.csv", b"", "empty"),
        ("entete.csv", b"a;b\n", "no data row"),
        ("classeur.csv", b"PK\x03\x04" + b"\x00" * 64, "zip archive is corrupt"),
        ("binaire.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ],
)
def test_add_refuses_files_that_are_not_data(small_ws: Workspace, name: str, content: bytes, words: str) -> None:
    data = small_ws.root / "data"
    data.mkdir(exist_ok=True)
    (data / name).write_bytes(content)
    result = cli(small_ws, "sources", "add", f"data/{name}", *META)
    assert result.exit_code == 1 and words in result.exception.message
    assert not (small_ws.sources_dir / name.replace(".csv", ".yaml")).exists()


def test_add_refuses_a_zip_of_several_files(small_ws: Workspace) -> None:
    data = small_ws.root / "data"
    data.mkdir(exist_ok=True)
    with zipfile.ZipFile(data / "deux.zip", "w") as zf:
        zf.writestr("a.csv", "x;y\n1;2\n")
        zf.writestr("b.csv", "x;y\n1;2\n")
    result = cli(small_ws, "sources", "add", "data/deux.zip", *META)
    assert "holds 2 files" in result.exception.message and "read: {member: NAME}" in result.exception.hint


def test_check_tells_what_changed_without_downloading(
    small_ws: Workspace, ods: Server, files: FileServer, tmp_path: Path
) -> None:
    (files.root / "v.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    add_source(small_ws, "conso", {"kind": "ods", "portal": ods.url, "dataset": "conso-iris", **FAST})
    add_source(small_ws, "fichier", {"kind": "http", "url": f"{files.url}/v.csv", **FAST})
    add_source(small_ws, "absent", {"kind": "ods", "portal": ods.url, "dataset": "absent", **FAST})
    before = json.loads(cli(small_ws, "sources", "check", "conso", "fichier", "--json").stdout)
    assert [r["changed"] for r in before] == [True, True]

    for ident in ("conso", "fichier"):
        run_one(small_ws, ident)
    exports = len(ods.served.hits("/exports/"))
    report = {r["dataset"]: r for r in json.loads(cli(small_ws, "sources", "check", "--json").stdout)}
    assert report["conso"]["changed"] is False and report["fichier"]["changed"] is False
    assert report["fichier"]["reason"] == "etag unchanged"
    assert "HTTP 404" in report["absent"]["error"]
    assert report["population-communes"]["changed"] is True  # never fetched

    ods.served.state["datasets"]["conso-iris"] = make_dataset(conso_rows(10), modified="2026-01-01T00:00:00+00:00")
    (files.root / "v.csv").write_text("a;b\n1;3\n", encoding="utf-8")
    touch_later(files.root / "v.csv")
    report = {r["dataset"]: r for r in json.loads(cli(small_ws, "sources", "check", "--json").stdout)}
    assert report["conso"]["changed"] is True and report["fichier"]["changed"] is True
    assert len(ods.served.hits("/exports/")) == exports  # checking downloaded nothing
    assert [r.method for r in files.served.requests[-1:]] == ["HEAD"]
    table_out = cli(small_ws, "sources", "check").stdout
    assert "conso" in table_out and "yes" in table_out
