"""What every engine must do for the pipeline, run against each installed engine.

Engines are found through the ``territoria.engines`` entry points and their test stores in
``conftest.ENGINE_STORES``; a new engine passes this suite, declares the gap in its
``Capabilities`` and is named in ``conftest.GAPS`` or a strict ``xfail_on`` (an unexpected pass
fails the suite too).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from territoria.engines.base import Engine, TableWrite

from .conftest import ENGINES, xfail_on


def test_capabilities_are_declared(engine: Engine) -> None:
    caps = engine.capabilities
    assert caps.name in ENGINES and caps.sql_dialect


def test_a_failed_transaction_leaves_the_previous_tables(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("model", "t", "SELECT 1 AS x"))
    assert engine.fetch_all('SELECT x FROM "model"."t"') == [(1,)]
    with pytest.raises(Exception, match="boom"), engine.transaction():
        engine.create_or_replace(TableWrite("model", "t", "SELECT 2 AS x"))
        engine.create_or_replace(TableWrite("model", "u", "SELECT error('boom') AS y"))
    assert engine.fetch_all('SELECT x FROM "model"."t"') == [(1,)]
    assert not engine.table_exists("model", "u")


def test_catalog_queries(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("staging", "a", "SELECT 1::BIGINT AS n, 'x' AS s"))
    assert engine.table_exists("staging", "a")
    assert not engine.table_exists("staging", "b")
    assert [c for c, _ in engine.columns("staging", "a")] == ["n", "s"]


def test_tables_lists_tables_and_views(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("staging", "a", "SELECT 1 AS n"))
    engine.execute('CREATE VIEW "staging"."v" AS SELECT n FROM "staging"."a"')
    assert {("staging", "a"), ("staging", "v")} <= engine.tables()


def test_create_or_replace_reports_rows(engine: Engine) -> None:
    with engine.transaction():
        rows = engine.create_or_replace(TableWrite("model", "r", "SELECT * FROM range(7)"))
    assert rows in (7, None)  # None: the engine does not report it, the runner counts


def test_a_nested_transaction_joins_the_outer_one(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("model", "t", "SELECT 1 AS x"))
    with pytest.raises(RuntimeError, match="outer"), engine.transaction():
        with engine.transaction():
            engine.create_or_replace(TableWrite("model", "t", "SELECT 2 AS x"))
        assert engine.fetch_all('SELECT x FROM "model"."t"') == [(2,)]  # the inner block did not commit
        raise RuntimeError("outer fails")
    assert engine.fetch_all('SELECT x FROM "model"."t"') == [(1,)]
    with engine.transaction(), engine.transaction():
        engine.create_or_replace(TableWrite("model", "t", "SELECT 3 AS x"))
    assert engine.fetch_all('SELECT x FROM "model"."t"') == [(3,)]


def test_append_arrow_by_name_and_replace_by_key(engine: Engine) -> None:
    engine.execute("CREATE SCHEMA IF NOT EXISTS meta")
    engine.execute("CREATE TABLE meta.state (k VARCHAR PRIMARY KEY, v BIGINT, note VARCHAR)")
    engine.append_arrow("meta.state", pa.table({"v": [1, 2], "k": ["a", "b"]}))  # column order differs
    engine.append_arrow("meta.state", pa.table({"k": ["b", "c"], "v": [20, 30]}), replace=True)
    assert engine.fetch_all("SELECT k, v, note FROM meta.state ORDER BY k") == [
        ("a", 1, None),
        ("b", 20, None),
        ("c", 30, None),
    ]


def test_arrow_round_trip(engine: Engine) -> None:
    table = pa.table({"code": ["35238", "35047"], "v": [1.5, 2.5]})
    engine.register_arrow("incoming", table)
    engine.create_or_replace(TableWrite("staging", "arrow", "SELECT * FROM incoming"))
    assert engine.fetch_arrow('SELECT * FROM "staging"."arrow" ORDER BY code').to_pylist() == sorted(
        table.to_pylist(), key=lambda r: r["code"]
    )


def test_spatial(engine: Engine) -> None:
    area = engine.fetch_all("SELECT ST_Area(ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))'))")[0][0]
    assert area == 100
    x, y = engine.fetch_all(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_Point(700000, 6600000), 'EPSG:2154', 'EPSG:4326', "
        "always_xy := true) AS p)"
    )[0]
    assert abs(x - 3.0) < 1e-6 and abs(y - 46.5) < 1e-6
    # a transformed geometry mixes with the statement's other geometries (no SRID of its own)
    inside = engine.fetch_all(
        "SELECT ST_Within(ST_Transform(ST_Point(3, 46.5), 'EPSG:4326', 'EPSG:2154', always_xy := true), "
        "ST_Buffer(ST_Point(700000, 6600000), 1))"
    )
    assert inside == [(True,)]


def test_csv_relation_reads_text(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a;b\n1;x\n2;y\n", encoding="utf-8")
    rel = engine.read_csv_relation(path, delimiter=";", columns=["a", "b"], skip=1)
    assert engine.fetch_all(f"SELECT * FROM {rel} ORDER BY a") == [("1", "x"), ("2", "y")]


def test_a_failed_inner_block_rolls_back_alone(engine: Engine, request: pytest.FixtureRequest) -> None:
    xfail_on(request, engine, {"duckdb": "DuckDB has no savepoints: a nested block joins the outer one"})
    engine.create_or_replace(TableWrite("model", "t", "SELECT 1 AS x"))
    with engine.transaction():
        engine.create_or_replace(TableWrite("model", "t", "SELECT 2 AS x"))
        with pytest.raises(Exception, match="inner"), engine.transaction():
            engine.create_or_replace(TableWrite("model", "t", "SELECT 3 AS x"))
            raise RuntimeError("inner fails")
        assert engine.fetch_all('SELECT x FROM "model"."t"') == [(2,)]
    assert engine.fetch_all('SELECT x FROM "model"."t"') == [(2,)]


def test_ddl_rolls_back_with_the_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.transaction():
        engine.ensure_schema("fresh")
        engine.execute('CREATE TABLE "fresh"."t" (a BIGINT)')
        raise RuntimeError("undo")
    assert not engine.table_exists("fresh", "t")
    engine.ensure_schema("fresh")  # the schema is made again after the rollback
    engine.execute('CREATE TABLE "fresh"."t" (a BIGINT)')
    assert engine.table_exists("fresh", "t")


def test_appends_accumulate_and_respect_the_key(engine: Engine) -> None:
    engine.ensure_schema("meta")
    engine.execute('CREATE TABLE "meta"."log" (k BIGINT PRIMARY KEY, seen TIMESTAMP, ok BOOLEAN)')
    first = pa.table({"k": [1, 2], "seen": pa.array([0, 1], pa.timestamp("us")), "ok": [True, None]})
    engine.append_arrow('"meta"."log"', first)
    engine.append_arrow('"meta"."log"', pa.table({"k": [3], "ok": [False]}))
    assert engine.fetch_all('SELECT k, ok FROM "meta"."log" ORDER BY k') == [(1, True), (2, None), (3, False)]
    with pytest.raises(Exception):  # noqa: B017 - each engine raises its own constraint error
        engine.append_arrow('"meta"."log"', pa.table({"k": [1]}))
    assert engine.fetch_all('SELECT count(*) FROM "meta"."log"') == [(3,)]


def test_stream_batches_in_bounded_chunks(engine: Engine) -> None:
    engine.create_or_replace(TableWrite("model", "big", "SELECT range AS n FROM range(2500)"))
    batches = list(engine.stream_batches('SELECT n FROM "model"."big" ORDER BY n', batch_rows=1000))
    assert all(b.num_rows <= 1000 for b in batches)
    assert [v for b in batches for v in b.column(0).to_pylist()] == list(range(2500))
