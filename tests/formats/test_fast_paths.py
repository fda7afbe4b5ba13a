"""The CSV ingest's shortcuts give what the plain path gives: lines numbered from the stored
table's ``rowid`` instead of a window, ``trim`` only where a value may start or end with a
space, Windows-1252 transcoded in bytes (and searched for over-long lines as it is written)."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

import pytest

from territoria.catalog.model import TableSchema
from territoria.connectors.formats import get_reader
from territoria.connectors.formats.csv import transcode_to_utf8
from territoria.connectors.formats.csv_lines import LineScan, find_long_lines
from territoria.connectors.formats.spaces import SpaceWatch
from territoria.engines.base import Engine
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.validation import validate_relation
from territoria.validation.tableschema import _plan, _statement

from .support import ingest

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{6}"}},
        {"name": "annee", "type": "year"},
        {"name": "valeur", "type": "number", "decimalChar": ",", "secretValues": ["s"]},
        {"name": "libelle", "type": "string"},
    ],
    "primaryKey": ["code"],
}


def _bad_file(path: Path, rows: int) -> set[int]:
    """A file with type errors, ragged lines and duplicate keys spread through it; their lines."""
    lines, bad = ["code;annee;valeur;libelle"], set()
    for i in range(rows):
        line = i + 2
        if i % 7919 == 7:
            lines.append(f"{i:06d};2020;1,5;x;extra")
            bad.add(line)
        elif i % 4999 == 11:
            lines.append(f"{i:06d};deux;1,5; Rennes ")
            bad.add(line)
        elif i % 6007 == 13 and line - 1 not in bad:
            lines.append(f"{i - 1:06d};2021;s;Brest")
            bad.add(line)
        else:
            lines.append(f"{i:06d};{2000 + i % 20};{i % 1000},{i % 10};Saint-Malo ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bad


def _outcome(
    engine: Engine, path: Path, tmp: Path, numbered_by_window: bool, schema: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    raw = get_reader("csv")(engine, path, {}, tmp)
    if numbered_by_window:
        raw = dataclasses.replace(raw, in_file_order=None)
    outcome = validate_relation(engine, raw, TableSchema.model_validate(schema), "_fast")
    staged = engine.fetch_all(f"SELECT * FROM ({outcome.staging_sql}) ORDER BY ALL")
    quarantined = engine.fetch_all(outcome.quarantine_sql)
    outcome.drop(engine)
    return staged, quarantined


def _with_constraint(name: str, **changes: Any) -> dict[str, Any]:
    fields = [{**f, **changes} if f["name"] == name else f for f in SCHEMA["fields"]]
    return {**SCHEMA, "fields": fields}


# DuckDB turns an IN list of five values or more, and a lookup in the referential, into a join
# that does not keep the scan's order: the lines of the rows after it must still be right
ENUM_OF_FIVE = _with_constraint("libelle", constraints={"enum": ["Saint-Malo", "Rennes", "Brest", "x", "Vannes"]})
REFERENCE = _with_constraint("code", format="insee-commune")


@pytest.mark.parametrize("schema", [SCHEMA, ENUM_OF_FIVE, REFERENCE], ids=["plain", "enum-of-five", "reference"])
def test_rowid_numbering_equals_the_window_on_a_parallel_scan(tmp_path: Path, schema: dict[str, Any]) -> None:
    path = tmp_path / "big.csv"
    bad = _bad_file(path, 300_000)
    engine = DuckDBEngine(tmp_path / "store.duckdb", threads=2, memory_limit="256MB")
    try:
        fast = _outcome(engine, path, tmp_path, numbered_by_window=False, schema=schema)
        window = _outcome(engine, path, tmp_path, numbered_by_window=True, schema=schema)
    finally:
        engine.close()
    assert fast == window
    staged, quarantined = fast
    lines = {line for line, _, _ in quarantined}
    # a code whose first five digits are not a commune's is quarantined too
    assert lines == bad if schema is not REFERENCE else bad < lines
    assert len(staged) == 300_000 - len(lines)


def test_a_parallel_scan_is_stored_in_file_order(tmp_path: Path) -> None:
    """What ``ordered_rowid`` promises, with buffers small enough for both threads to scan."""
    path = tmp_path / "order.csv"
    path.write_text("".join(f"{i};v{i % 97}\n" for i in range(400_000)), encoding="utf-8")
    engine = DuckDBEngine(None, threads=2)
    assert engine.capabilities.ordered_rowid
    try:
        engine.execute(
            f"CREATE TEMP TABLE t AS SELECT * FROM read_csv('{path}', delim=';', header=false, auto_detect=false, "
            "columns={'i': 'BIGINT', 'v': 'VARCHAR'}, buffer_size=262144, parallel=true) WHERE v <> 'v3'"
        )
        out_of_order = engine.fetch_all(
            "SELECT count(*) FROM (SELECT rowid, i, lag(i) OVER (ORDER BY rowid) AS p FROM t) WHERE i <= p"
        )
        assert out_of_order == [(0,)]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("body", "encoding", "found"),
    [
        (b"a; b ;c\n", "utf-8", False),
        ("a;b\u00a0;c\n".encode(), "utf-8", True),
        ("a;b\u202f;c\n".encode(), "utf-8", True),
        ("a;\u3000b\n".encode(), "utf-8", True),
        ("a;Coût en €;c\n".encode(), "utf-8", False),
        ("a;b\u00a0\n".encode("cp1252"), "cp1252", True),
        ("a;Œuvre en €\n".encode("cp1252"), "cp1252", False),
        ("a;b\n".encode("utf-16"), "utf-16", True),  # not watched: assumed present
    ],
)
def test_space_watch(body: bytes, encoding: str, found: bool) -> None:
    watch = SpaceWatch(encoding)
    watch.feed(body)
    assert watch.found is found


def test_space_watch_sees_a_space_cut_by_a_chunk_boundary() -> None:
    data = "x;y\u2009\n".encode()
    cut = data.index(b"\xe2") + 1
    watch = SpaceWatch("utf-8")
    watch.feed(data[:cut])
    assert not watch.found
    watch.feed(data[cut:])
    assert watch.found


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize("space", [" ", "\u00a0"])
def test_values_are_trimmed_whichever_space(engine: Engine, tmp_path: Path, encoding: str, space: str) -> None:
    path = tmp_path / "s.csv"
    body = f"commune;valeur\n{space}Saint-Malo{space};{space}1,5{space}\nRennes;2\n"
    path.write_bytes(body.encode(encoding))
    schema = {
        "fields": [{"name": "commune", "type": "string"}, {"name": "valeur", "type": "number", "decimalChar": ","}]
    }
    out = ingest(engine, path, tmp_path, schema=schema)
    assert sorted(out.staging) == [("Rennes", 2.0), ("Saint-Malo", 1.5)]


def test_cp1252_transcoding_is_byte_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("territoria.connectors.formats.csv.TRANSCODE_CHUNK", 7)  # many chunk boundaries
    text = "code;libellé\n35238;Œuvre à Rennes ‘€’ …\u00a0\n" * 50
    src, dest = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(text.encode("cp1252"))
    transcode_to_utf8(src, dest, "cp1252")
    assert dest.read_bytes() == text.encode("utf-8")


def test_cp1252_decoding_error_gives_its_place_in_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("territoria.connectors.formats.csv.TRANSCODE_CHUNK", 7)
    src = tmp_path / "in.csv"
    src.write_bytes(b"code;libelle\n" + b"35238;Rennes\n" * 10 + b"35047;x\x81y\n")  # 0x81: not in cp1252
    with pytest.raises(UnicodeDecodeError) as err:
        transcode_to_utf8(src, tmp_path / "out.csv", "cp1252")
    assert err.value.start == src.read_bytes().index(b"\x81")


@pytest.mark.parametrize("ascii_lines", [0, 3, 40])
def test_ascii_chunks_pass_as_they_are_and_the_rest_is_transcoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ascii_lines: int
) -> None:
    monkeypatch.setattr("territoria.connectors.formats.csv.TRANSCODE_CHUNK", 7)
    text = "code;libelle\n" + "35238;Rennes\n" * ascii_lines + "35047;Œuvre à Bécherel ‘€’\n35051;Cesson\n"
    src, dest = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(text.encode("cp1252"))
    scan = LineScan(20)
    assert transcode_to_utf8(src, dest, "cp1252", lines=scan)
    assert dest.read_bytes() == text.encode("utf-8")
    assert [x.line for x in scan.long_lines(dest)] == [ascii_lines + 2]


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "iso8859-15"])
def test_a_plain_ascii_file_is_read_as_it_is_whatever_its_single_byte_encoding(
    engine: Engine, tmp_path: Path, encoding: str
) -> None:
    # failed before: the file was copied as UTF-8 (the same bytes) before DuckDB read it
    path = tmp_path / "ascii.csv"
    long = b"35047;" + b"x" * 300 + b";1,5\n"
    path.write_bytes(b"code;libelle;valeur\n35238;Rennes;2\n" + long + b"35051;Cesson;3;4\n35024;Betton;s\n")
    schema = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "libelle", "type": "string"},
            {"name": "valeur", "type": "number", "decimalChar": ",", "secretValues": ["s"]},
        ]
    }
    work = tmp_path / "work"
    work.mkdir()
    out = ingest(engine, path, work, read={"encoding": encoding, "max_line_size": 200}, schema=schema)
    assert out.notes["transcoded"] is False
    assert not list(work.glob("*.utf8.csv"))
    assert sorted(out.staging) == [("35024", "Betton", None, True), ("35238", "Rennes", 2.0, False)]
    assert [(line, errors[0].split(":")[0]) for line, _, errors in out.quarantine] == [
        (3, "line too long"),
        (4, "wrong number of fields"),
    ]


@pytest.mark.parametrize("piece", [1, 7, 20, 64, 1 << 14])
def test_line_scan_finds_the_long_lines_whatever_the_chunks(tmp_path: Path, piece: int) -> None:
    limit = 40
    text = b"a;b\n" + b"x" * 39 + b"\n" + b"y" * 40 + b"\n" + b"z" * 100 + b"\nok\n\n" + b"w" * 45  # no final newline
    path = tmp_path / "lines.csv"
    path.write_bytes(text)
    scan = LineScan(limit)
    for start in range(0, len(text), piece):
        scan.feed(text[start : start + piece])
    found = scan.long_lines(path)
    assert [(x.line, x.length) for x in found] == [(3, 40), (4, 100), (7, 45)]
    assert found == find_long_lines(path, limit)


def test_long_line_of_a_cp1252_file_is_quarantined_with_its_number(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    long = "35047;" + "é" * 300 + ";1,5"
    path.write_bytes(("code;libelle;valeur\n35238;Rennes;2\n" + long + "\n35051;Cesson-Sévigné;3\n").encode("cp1252"))
    schema = {"fields": [{"name": "code", "type": "string"}, {"name": "libelle", "type": "string"}]}
    out = ingest(engine, path, tmp_path, read={"max_line_size": 200}, schema=schema)
    assert out.notes["encoding"] == "cp1252"
    assert sorted(out.staging) == [("35051", "Cesson-Sévigné"), ("35238", "Rennes")]
    ((line, raw, errors),) = out.quarantine
    # the limit counts the UTF-8 bytes DuckDB reads: é is two of them
    assert line == 3 and raw.startswith("35047;éé")
    assert errors == [f"line too long: {len(long.encode())} bytes, more than the 200 a CSV line may have (not read)"]


CHECKED: dict[str, Any] = {
    "fields": [
        {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{5}"}},
        {"name": "secteur", "type": "string", "constraints": {"enum": ["Résidentiel", "Tertiaire", "Industrie"]}},
        {"name": "nb", "type": "integer", "constraints": {"minimum": 0, "maximum": 9}},
        {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
    ]
}


def test_each_check_is_written_once_and_every_failure_keeps_its_reasons(engine: Engine, tmp_path: Path) -> None:
    """The scan evaluates each check once (an enum's ``IN`` list is a join over every row in
    DuckDB), and a row still gets every reason it fails, in the schema's order."""
    path = tmp_path / "checked.csv"
    path.write_text(
        "code;secteur;nb;jour\n35238;Tertiaire;1;01/02/2024\n3523;Autre;-1;32/01/2024\n;Industrie;x;\n"
        "35047;;10;2024-02-03\n",
        encoding="utf-8",
    )
    raw = get_reader("csv")(engine, path, {}, tmp_path)
    parts, _, _ = _plan(raw, TableSchema.model_validate(CHECKED))
    statement = _statement(raw.sql, raw, parts)
    assert statement.count("WHEN 'Résidentiel' THEN true") == 1
    assert statement.count("regexp_full_match") == 1
    assert "_repaired" not in statement  # no geometry to repair: no constant column
    out = ingest(engine, path, tmp_path, schema=CHECKED)
    assert out.quarantine == [
        (
            3,
            '{"code":"3523","secteur":"Autre","nb":"-1","jour":"32/01/2024"}',
            ["code: pattern", "secteur: enum", "nb: minimum 0.0", "jour: type-error (expected date)"],
        ),
        (
            4,
            '{"code":null,"secteur":"Industrie","nb":"x","jour":null}',
            ["code: required", "nb: type-error (expected integer)"],
        ),
        (5, '{"code":"35047","secteur":null,"nb":"10","jour":"2024-02-03"}', ["nb: maximum 9.0"]),
    ]
    assert sorted(out.staging) == [("35238", "Tertiaire", 1, datetime.date(2024, 2, 1))]


def test_integer_bounds_are_compared_as_integers(engine: Engine, tmp_path: Path) -> None:
    """An integer or year column's bound is an integer literal: ``0.0`` is a DECIMAL in SQL, and
    the column was cast to a 128-bit DECIMAL(20,1) on every row to be compared with it."""
    schema = {
        "fields": [
            {"name": "nb", "type": "integer", "constraints": {"minimum": 0, "maximum": 10}},
            {"name": "annee", "type": "year", "constraints": {"minimum": 2000}},
            {"name": "part", "type": "integer", "constraints": {"minimum": 0.5}},
        ]
    }
    path = tmp_path / "bounds.csv"
    path.write_text("nb;annee;part\n0;2000;1\n-1;1999;0\n10;2024;2\n11;2001;1\n", encoding="utf-8")
    raw = get_reader("csv")(engine, path, {}, tmp_path)
    parts, _, _ = _plan(raw, TableSchema.model_validate(schema))
    plan = " ".join(str(r[1]) for r in engine.fetch_all(f"EXPLAIN {_statement(raw.sql, raw, parts)}"))
    # the plan's boxes may cut an expression across lines
    assert "DECIMAL(20" not in "".join(plan.replace("│", " ").split())
    out = ingest(engine, path, tmp_path, schema=schema)
    assert [(line, errors) for line, _, errors in out.quarantine] == [
        (3, ["nb: minimum 0.0", "annee: minimum 2000.0", "part: minimum 0.5"]),
        (5, ["nb: maximum 10.0"]),
    ]
    assert sorted(out.staging) == [(0, 2000, 1), (10, 2024, 2)]
