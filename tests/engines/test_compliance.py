"""What every engine must do for the pipeline, run against each installed engine.

Engines are found through the ``territoria.engines`` entry points; a new engine passes this
suite or declares the gap: ``GAPS`` marks the tests an engine is known to fail as strict xfails
(with the reason; a gap that closes fails the suite until its mark is removed).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from territoria.engines import open_engine
from territoria.engines.base import Engine, TableWrite
from territoria.engines.registry import available_engines

ENGINES = available_engines()
NO_TRANSACTIONAL_DDL = "no transactional DDL: each table swap is atomic by itself (write, then rename)"
#: (engine, test) -> why the engine fails it
GAPS = {
    ("spark", "test_a_failed_transaction_leaves_the_previous_tables"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_a_nested_transaction_joins_the_outer_one"): NO_TRANSACTIONAL_DDL,
    ("spark", "test_spatial"): "no spatial functions (Capabilities.spatial is false; callers `require` it)",
}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    gap = GAPS.get((request.param, request.function.__name__))
    if gap:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{request.param}: {gap}"))
    eng = open_engine(request.param, tmp_path)
    yield eng  # type: ignore[misc]
    eng.close()


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


def test_csv_relation_reads_text(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a;b\n1;x\n2;y\n", encoding="utf-8")
    rel = engine.read_csv_relation(path, delimiter=";", columns=["a", "b"], skip=1)
    assert engine.fetch_all(f"SELECT * FROM {rel} ORDER BY a") == [("1", "x"), ("2", "y")]
