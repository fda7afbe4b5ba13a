"""The export formats registry, end to end: built-in XLSX / JSON-LD / Turtle, and a format
plugin that appears in the CLI's ``export --help`` and in the API (CONTRIBUTING.md,
"Add a publication format")."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import httpx
import rdflib
from api_support import LiveServer
from openpyxl import load_workbook
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from territoria.api import create_app
from territoria.cli.main import app as cli
from territoria.core.registry import registry
from territoria.publication.formats import GROUP, ExportFormat, ExportJob
from territoria.workspace import Workspace


def test_xlsx_is_a_typed_french_sheet(client: httpx.Client) -> None:
    r = client.get("/api/datasets/densite_population/export", params={"format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = client.get("/api/datasets/densite_population/rows").json()
    header = [c.value for c in sheet[1]]
    assert header == [c["name"] for c in rows["columns"]]
    value = header.index("value")
    cells = [row[value] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == rows["total"] and all(isinstance(c.value, float | int) for c in cells if c.value is not None)
    assert next(c for c in cells if c.value is not None).number_format.startswith("#,##0")  # 1 234,5 in French
    assert sheet.freeze_panes == "A2"


def test_jsonld_and_turtle_are_the_same_graph(client: httpx.Client) -> None:
    ld = client.get("/api/datasets/communes/export", params={"format": "jsonld"})
    ttl = client.get("/api/datasets/communes/export", params={"format": "turtle"})
    assert ld.headers["content-type"] == "application/ld+json" and ttl.headers["content-type"].startswith("text/turtle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own JSON-LD parser warns about itself
        from_ld = rdflib.Graph().parse(data=ld.text, format="json-ld")
    from_ttl = rdflib.Graph().parse(data=ttl.text, format="turtle")
    assert len(from_ttl) > 44 * 3 and isomorphic(from_ld, from_ttl)
    base = str(client.base_url).rstrip("/")
    rows = set(from_ttl.subjects(rdflib.RDF.type, rdflib.URIRef("https://territoria.example/ns#Row")))
    assert len(rows) == 44 and all(str(r).startswith(f"{base}/datasets/communes/rows/") for r in rows)


def _write_tsv(job: ExportJob) -> None:
    """The test plugin's writer: tab-separated values, the way CONTRIBUTING.md shows it."""
    job.engine.copy_to(job.select, job.dest, "CSV", {"HEADER": "true", "DELIMITER": "\\t"})


TSV = ExportFormat("tsv", "text/tab-separated-values", "tsv", "tab-separated values (test plugin)", _write_tsv)


def test_a_format_plugin_reaches_the_cli_and_the_api(built_ws: Workspace, tmp_path: Path) -> None:
    with registry.registered(GROUP, "tsv", TSV):
        assert "tsv" in CliRunner().invoke(cli, ["export", "--help"], env={"COLUMNS": "200"}).output
        out = tmp_path / "communes.tsv"
        result = CliRunner().invoke(cli, ["export", "communes", "-f", "tsv", "-o", str(out), "-w", str(built_ws.root)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").splitlines()[0].split("\t")[:2] == ["code", "nom"]
        with LiveServer(create_app(built_ws.root)) as live, httpx.Client(base_url=live.url, timeout=30) as api:
            spec = api.get("/openapi.json").json()
            media = spec["paths"]["/api/datasets/{dataset_id}/export"]["get"]["responses"]["200"]["content"]
            assert "text/tab-separated-values" in media and "application/ld+json" in media
            r = api.get("/api/datasets/communes/export", params={"format": "tsv"})
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/tab-separated-values")
            assert r.text == out.read_text(encoding="utf-8")
    assert "tsv" not in CliRunner().invoke(cli, ["export", "--help"], env={"COLUMNS": "200"}).output
