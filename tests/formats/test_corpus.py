"""Every bad file fails with a clear error through the real pipeline and the CLI, and loses nothing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.testing.entries import LICENCE

from .make_corpus import HEADER, ROWS
from .support import CONSO_SCHEMA, CORPUS, SourceFactory

#: the conso schema with its commune codes checked against the referential
COMMUNE_SCHEMA: dict[str, Any] = {
    **CONSO_SCHEMA,
    "fields": [{**CONSO_SCHEMA["fields"][0], "format": "insee-commune"}, *CONSO_SCHEMA["fields"][1:]],
}
SMALL_CAP = {"max_decompressed_bytes": 1 << 20}
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
    ("good.csv", "header_only.csv", "csv", {}, CONSO_SCHEMA, ["no data row"]),
    ("good.csv", "one_row.csv", "csv", {}, CONSO_SCHEMA, ["1 valid rows, 75% fewer than the 4", "maxRowDrop"]),
    ("good.csv", "all_unknown_communes.csv", "csv", {}, COMMUNE_SCHEMA, ["none of the 4 rows", "unknown commune"]),
    ("good.csv", "bomb.csv.gz", "csv", SMALL_CAP, CONSO_SCHEMA, ["inflates to more than 1 MiB", "max_decompressed"]),
    ("good.csv", "truncated.csv.gz", "csv", {}, CONSO_SCHEMA, ["gzip file is corrupt or truncated"]),
    ("good.csv", "several_csv.zip", "csv", {}, CONSO_SCHEMA, ["holds 2 files", "read: {member: NAME}"]),
    ("good.csv", "readme_only.zip", "csv", {}, CONSO_SCHEMA, ["no data file", "LISEZMOI.md"]),
    ("good.geojson", "deep_nesting.geojson", "geojson", {}, GEO_SCHEMA, ["nested more than"]),
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
    before = src.staged
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
    assert src.staged == before
    assert not (src.ws.tmp_dir / "ingest-conso").exists()
    # the bytes as fetched stay in the landing area, to look at or replay
    assert src.ws.landing.has(hashlib.sha256(src.data.read_bytes()).hexdigest())


@pytest.mark.parametrize("packed", ["good.csv.gz", "good.csv.bz2", "good_csv.zip"])
def test_compressed_files_read_like_the_plain_one(make_source: SourceFactory, packed: str) -> None:
    plain = make_source("good.csv", schema=CONSO_SCHEMA, name="plain")
    assert plain.run().status == "success"
    # the name says nothing (.dat): the compression is told by the bytes
    src = make_source(packed, schema=CONSO_SCHEMA)
    summary = src.run()
    assert summary.status == "success"
    assert src.staged == plain.staged and len(src.staged) == 4
    (read,) = [r.report["reader"] for r in summary.records if r.report.get("reader")]
    assert read["compression"] == [{"gz": "gzip", "bz2": "bz2", "zip": "zip"}[packed.rsplit(".", 1)[-1]]]


def test_unknown_commune_code_is_quarantined(make_source: SourceFactory) -> None:
    src = make_source("unknown_commune.csv", schema=COMMUNE_SCHEMA)
    summary = src.run()
    assert summary.status == "success"
    assert [r[0] for r in src.staged] == ["35047", "35206", "35238"]
    assert [(q[0], q[2]) for q in src.quarantined] == [(5, ["code_commune: unknown commune code"])]


@pytest.mark.parametrize("size", [3 << 20, 40 << 20])
def test_over_long_line_is_quarantined_with_its_number(make_source: SourceFactory, size: int) -> None:
    """DuckDB rejects a 3 MB line but lost a 40 MB one (longer than its buffer) without a trace."""
    long = "35047;" + "x" * size + ";2022;1;1\n"
    text = HEADER + ROWS[0] + long + ROWS[2] + ROWS[3]
    src = make_source(text.encode("utf-8"), schema=CONSO_SCHEMA)
    summary = src.run()
    assert summary.status == "success"
    assert [r[0] for r in src.staged] == ["35051", "35206", "35238"]
    ((line, raw, errors),) = src.quarantined
    assert line == 3 and raw.startswith("35047;xxx") and len(raw) < 300
    assert errors == [f"line too long: {len(long) - 1} bytes, more than the 1999984 a CSV line may have (not read)"]
    assert summary.records[0].report["reasons"] == {"line too long": 1}


def test_a_file_of_one_huge_line_fails_and_keeps_the_table(make_source: SourceFactory) -> None:
    """The 100 MB-line case, scaled down with a lowered line limit: nothing valid is left, so the
    step fails instead of emptying the published table."""
    src = make_source("good.csv", schema=CONSO_SCHEMA, read={"max_line_size": 1 << 16})
    assert src.run().status == "success"
    before = src.staged
    src.put((HEADER + "35238;" + "y" * (3 << 20) + "\n").encode("utf-8"))
    summary = src.run()
    assert summary.status == "failed"
    assert "none of the 1 rows is valid" in (summary.failed[0].error or "")
    assert "line too long (1)" in (summary.failed[0].error or "")
    assert src.staged == before


def test_corpus_has_every_case() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    named = {b[1] for b in BAD} | {"good.csv.gz", "good.csv.bz2", "good_csv.zip", "unknown_commune.csv"}
    assert named <= files and len(files) >= 30


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


def test_ragged_rows_are_quarantined_not_fatal(make_source: SourceFactory) -> None:
    src = make_source("ragged.csv", schema=CONSO_SCHEMA)
    summary = src.run()
    assert summary.status == "success"
    rec = summary.records[0]
    assert (rec.rows_in, rec.rows_out, rec.rows_quarantined) == (5, 3, 2)
    assert [(q[0], q[1]) for q in src.quarantined] == [(3, "35047;Bruz;2022"), (5, "35051;Cesson;2022;1,5;2;extra")]
    assert rec.report["reasons"] == {"wrong number of fields": 2}


def test_secret_markers_end_to_end_in_windows_1252(make_source: SourceFactory) -> None:
    src = make_source("good_cp1252.csv", schema=CONSO_SCHEMA)
    summary = src.run()
    assert summary.status == "success"
    assert summary.records[0].report["reader"] == {"encoding": "cp1252", "delimiter": ";", "columns": 5}
    rows = [r[:2] + r[3:5] for r in src.staged]
    assert rows == [
        ("35047", "Bruz", None, True),
        ("35051", "Cesson-Sévigné", None, True),
        ("35206", "Pacé", 87.25, False),
        ("35238", "Rennes – cœur (€)", 1234.5, False),
    ]
    # the transcoded copy lived until the staging write read it, and not longer
    assert not (src.ws.tmp_dir / "ingest-conso").exists()
    # unchanged file: the step is skipped, nothing is read again
    assert src.run().records[0].status == "skipped"


def test_placeholder_licence_is_a_warning_of_the_run(make_source: SourceFactory) -> None:
    src = make_source("good.csv", schema=CONSO_SCHEMA)
    yaml_path = src.ws.root / "sources" / "conso.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace(LICENCE, "(à compléter)"))
    summary = src.run()
    assert summary.status == "success"
    (warnings,) = [r.report["warnings"] for r in summary.records if "reader" in r.report]
    assert warnings == ["the licence of 'conso' is left at a placeholder: fill it in sources/conso.yaml"]
