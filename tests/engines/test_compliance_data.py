"""Values through every engine: types, NULLs, geometry, fingerprints, CSV reading with rejects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from territoria.engines.base import Engine, TableWrite
from territoria.pipelines.group import fingerprints_sql

from .conftest import xfail_on

TYPED = (
    "SELECT 42::BIGINT AS i, 1.25::DOUBLE AS f, 12.34::DECIMAL(12,2) AS d, 'é;x' AS s, true AS b, "
    "DATE '2024-02-29' AS day, TIMESTAMP '2024-02-29 13:45:00' AS at"
)
EXPECTED = (42, 1.25, Decimal("12.34"), "é;x", True, dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 45))


def test_types_round_trip(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("model", "typed", TYPED))
    assert engine.fetch_all('SELECT * FROM "model"."typed"') == [EXPECTED]
    kinds = dict(engine.columns("model", "typed"))
    assert kinds == {
        "i": "BIGINT",
        "f": "DOUBLE",
        "d": "DECIMAL(12,2)",
        "s": "VARCHAR",
        "b": "BOOLEAN",
        "day": "DATE",
        "at": "TIMESTAMP",
    }
    arrow = engine.fetch_arrow('SELECT * FROM "model"."typed"')
    assert arrow.schema.types == [
        pa.int64(),
        pa.float64(),
        pa.decimal128(12, 2),
        pa.string(),
        pa.bool_(),
        pa.date32(),
        pa.timestamp("us"),
    ]
    assert tuple(arrow.to_pylist()[0].values()) == EXPECTED


def test_nulls_in_every_type(engine: Engine) -> None:
    nulls = ", ".join(f"CAST(NULL AS {t}) AS c{i}" for i, t in enumerate(["BIGINT", "DOUBLE", "VARCHAR", "DATE"]))
    engine.create_or_replace(
        TableWrite("model", "nulls", f"SELECT {nulls} UNION ALL SELECT 1, 2.0, 'x', DATE '2024-01-01'")
    )
    assert engine.fetch_all('SELECT count(*), count(c0), count(c2) FROM "model"."nulls"') == [(2, 1, 1)]
    assert engine.fetch_all('SELECT coalesce(c2, \'-\') FROM "model"."nulls" ORDER BY c0 NULLS FIRST') == [
        ("-",),
        ("x",),
    ]
    assert engine.fetch_arrow('SELECT c1 FROM "model"."nulls" ORDER BY c1 NULLS FIRST').column(0).null_count == 1


def test_geometry_round_trips_as_wkb(engine: Engine, duckdb_engine: Engine) -> None:
    if not engine.capabilities.spatial:
        pytest.skip(f"{engine.capabilities.name} declares no spatial support")
    wkt = "POLYGON((0 0, 4 0, 4 3, 0 3, 0 0))"
    engine.create_or_replace(TableWrite("model", "zones", f"SELECT 'z' AS id, ST_GeomFromText('{wkt}') AS geom"))
    assert dict(engine.columns("model", "zones"))["geom"] == "GEOMETRY"
    table = engine.fetch_arrow('SELECT id, geom FROM "model"."zones"')
    reference = duckdb_engine.fetch_arrow(f"SELECT 'z' AS id, ST_GeomFromText('{wkt}') AS geom")
    assert table.column("geom").to_pylist() == reference.column("geom").to_pylist()  # the same WKB bytes
    engine.register_arrow("incoming", reference)  # and back in: WKB from DuckDB is a geometry
    assert engine.fetch_all("SELECT ST_Area(geom) FROM incoming") == [(12.0,)]


def _fingerprint(engine: Engine, qualified: str) -> tuple[int, int]:
    _, rows, digest = engine.fetch_all(fingerprints_sql([qualified]))[0]
    return int(rows), int(digest)


def test_fingerprints_follow_content_not_order(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("model", "a", "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) v(n, s)"))
    engine.create_or_replace(TableWrite("model", "b", "SELECT * FROM (VALUES (2, 'y'), (1, 'x')) v(n, s)"))
    engine.create_or_replace(TableWrite("model", "c", "SELECT * FROM (VALUES (1, 'x'), (2, 'z')) v(n, s)"))
    a, b, c = (_fingerprint(engine, f'"model"."{t}"') for t in "abc")
    assert a == b and a != c and a[0] == 2


def test_fingerprints_are_equal_across_engines(
    engine: Engine, duckdb_engine: Engine, request: pytest.FixtureRequest
) -> None:
    xfail_on(
        request,
        engine,
        {"postgres": "fingerprints use each engine's own row hash (the md5 of the row text on PostgreSQL)"},
    )
    select = "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) v(n, s)"
    for eng in (engine, duckdb_engine):
        eng.create_or_replace(TableWrite("model", "a", select))
    assert _fingerprint(engine, '"model"."a"') == _fingerprint(duckdb_engine, '"model"."a"')


def test_csv_relation_with_rejects(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text('code;nom\n35238;Rennes\n35047;"Bruz; la ville";x\n35051;\n35024\n35066;"Cesson-\nSévigné"\n')
    engine.execute("DROP TABLE IF EXISTS rej")
    rel = engine.read_csv_relation(path, delimiter=";", columns=["code", "nom"], skip=1, rejects="rej")
    assert engine.fetch_all(f"SELECT code, nom FROM {rel} ORDER BY code") == [
        ("35051", None),
        ("35066", "Cesson-\nSévigné"),
        ("35238", "Rennes"),
    ]
    rejected = engine.fetch_all("SELECT line, error_type FROM rej ORDER BY line")
    assert rejected == [(3, "TOO MANY COLUMNS"), (5, "MISSING COLUMNS")]
    skipping = engine.read_csv_relation(path, delimiter=";", columns=["code", "nom"], skip=1, skip_bad_lines=True)
    assert engine.fetch_all(f"SELECT count(*) FROM {skipping}") == [(3,)]


def test_files_and_describe_in_duckdb_sql(engine: Engine, tmp_path: Path) -> None:
    """``read_parquet``/``DESCRIBE``/``* EXCLUDE`` as the readers write them, on every engine."""
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"code": ["35238", "35047"], "n": [1, 2]}), path)
    relation = f"read_parquet('{path}', file_row_number=true)"
    described = engine.fetch_all(f"DESCRIBE SELECT * FROM {relation}")
    assert [(r[0], r[1]) for r in described] == [("code", "VARCHAR"), ("n", "BIGINT"), ("file_row_number", "BIGINT")]
    rows = engine.fetch_all(
        f"SELECT file_row_number + 1 AS _line, * EXCLUDE (file_row_number) FROM {relation} ORDER BY 1"
    )
    assert rows == [(1, "35238", 1), (2, "35047", 2)]
