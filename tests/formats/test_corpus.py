"""Every bad file fails with a clear error through the real pipeline and the CLI, and loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app

from .support import CONSO_SCHEMA, SourceFactory

GEO_SCHEMA: dict[str, Any] = {
    "fields": [{"name": "code", "type": "string"}, {"name": "geom", "type": "geometry"}],
}

# (good file, bad file, format, read options, schema, words the error must contain)
BAD: list[tuple[str, str, str, dict[str, Any], dict[str, Any] | None, list[str]]] = [
    ("good.csv", "html_instead_of_csv.csv", "csv", {}, CONSO_SCHEMA, ["HTML page", "browser"]),
    ("good.csv", "empty.csv", "csv", {}, CONSO_SCHEMA, ["empty"]),
    ("good.csv", "truncated_mid_line.csv", "csv", {}, CONSO_SCHEMA, ["truncated", "last line (5)"]),
    ("good.csv", "truncated_mid_quote.csv", "csv", {}, CONSO_SCHEMA, ["quoted value is not closed", "line 5"]),
    ("good.csv", "duplicate_headers.csv", "csv", {}, CONSO_SCHEMA, ["repeats column names: annee"]),
    ("good.csv", "missing_header.csv", "csv", {}, CONSO_SCHEMA, ["no header line", "header: false"]),
    ("good.csv", "type_changed.csv", "csv", {}, CONSO_SCHEMA, ["conso_mwh", "changed the column's type"]),
    ("good.csv", "wrong_encoding.csv", "csv", {"encoding": "utf-8"}, CONSO_SCHEMA, ["utf-8", "read.encoding"]),
    ("good.csv", "wrong_delimiter.csv", "csv", {}, CONSO_SCHEMA, ["number of fields", "read.delimiter"]),
    ("good.geojson", "not_feature_collection.geojson", "geojson", {}, GEO_SCHEMA, ["not a GeoJSON FeatureCollection"]),
    ("good.geojson", "single_feature.geojson", "geojson", {}, GEO_SCHEMA, ["'Feature', not 'FeatureCollection'"]),
    ("good.geojson", "good.csv", "geojson", {}, GEO_SCHEMA, ["not valid JSON"]),
    ("good_l93_shp.zip", "no_shp.zip", "shapefile", {}, None, ["no .shp file", "LISEZMOI.txt"]),
    ("good_l93_shp.zip", "good.csv", "shapefile", {}, None, ["not a zip archive"]),
    ("good.parquet", "good.csv", "parquet", {}, None, ["not Parquet"]),
    ("good.xlsx", "good.csv", "xlsx", {"sheet": "Données", "header_row": 2}, None, ["not a readable XLSX"]),
    (
        "invalid_geometries.geojson",
        "invalid_geometries.geojson",
        "geojson",
        {"invalid_geometries": "drop"},
        GEO_SCHEMA,
        ["invalid_geometries: drop", "repair"],
    ),
]


@pytest.mark.parametrize(("good", "bad", "fmt", "read", "schema", "words"), BAD, ids=[b[1] + "-" + b[2] for b in BAD])
def test_bad_file_fails_clearly_and_keeps_previous_rows(
    make_source: SourceFactory,
    good: str,
    bad: str,
    fmt: str,
    read: dict[str, Any],
    schema: dict[str, Any] | None,
    words: list[str],
) -> None:
    good_read = {} if "invalid_geometries" in read else read
    src = make_source(good, fmt=fmt, read=good_read, schema=schema)
    assert src.run().status == "success"
    before = src.staging()
    assert before
    src.put(bad)
    if good_read != read:
        src.data.parent.parent.joinpath("sources", "conso.yaml").write_text(
            src.data.parent.parent.joinpath("sources", "conso.yaml").read_text().replace("read: {}", f"read: {read}")
        )
    summary = src.run()
    assert summary.status == "failed"
    error = summary.failed[0].error or ""
    assert "internal error" not in error and "Traceback" not in error
    for word in words:
        assert word in error
    assert "hint:" in error
    assert src.staging() == before


def test_cli_reports_a_bad_file_without_traceback(make_source: SourceFactory) -> None:
    src = make_source("good.csv", schema=CONSO_SCHEMA)
    assert src.run().status == "success"
    src.put("truncated_mid_quote.csv")
    result = CliRunner().invoke(app, ["run", "-w", str(src.ws.root)])
    assert result.exit_code == 1
    assert "quoted value is not closed" in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output


def test_cli_subprocess_on_html_page(make_source: SourceFactory) -> None:
    src = make_source("html_instead_of_csv.csv", schema=CONSO_SCHEMA)
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "territoria.cli.main", "run", "-w", str(src.ws.root)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert "HTML page instead of CSV" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_config_error_exits_2(make_source: SourceFactory) -> None:
    src = make_source("good.csv", read={"encoding": "klingon"}, schema=CONSO_SCHEMA)
    result = CliRunner().invoke(app, ["run", "-w", str(src.ws.root)])
    assert result.exit_code == 1
    assert "unknown encoding 'klingon'" in result.output
