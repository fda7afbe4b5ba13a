"""The Spark engine's own parts: its statement preparation (no JVM), and its store, which
outlives the process's session (tables found again from the warehouse's catalog file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.core.errors import ConfigError, EngineError
from territoria.engines import open_engine
from territoria.engines.base import TableWrite
from territoria.engines.spark.sql import encode, prepare


def test_catalog_names_are_made_safe_and_stay_distinct() -> None:
    assert encode("energie_cellules") == "energie_cellules"
    assert encode("conso-elec-gaz-commune") == "conso__2d__elec__2d__gaz__2d__commune"
    assert encode("a-b") != encode("a_b")
    sql = prepare('SELECT * FROM staging."conso-elec-gaz-commune" c JOIN t ON true').sql
    assert "`staging`.`conso__2d__elec__2d__gaz__2d__commune`" in sql and " t " in f"{sql} "


def test_duckdb_only_constructs_are_rewritten_before_translation() -> None:
    sql = prepare("WITH p AS MATERIALIZED (SELECT 1 AS a) SELECT a, row_number() OVER () AS r FROM p").sql
    assert "MATERIALIZED" not in sql.upper()
    assert "OVER (ORDER BY MONOTONICALLY_INCREASING_ID()" in sql.upper()
    delete = prepare("DELETE FROM _territoria.secrecy_suppressions WHERE dataset = ?")
    assert (delete.kind, delete.schema, delete.name) == ("delete", "_territoria", "secrecy_suppressions")
    assert "WHERE NOT COALESCE((dataset = ?), FALSE)" in delete.select
    create = prepare("CREATE TABLE IF NOT EXISTS meta.s (k VARCHAR PRIMARY KEY, cell JSON, rules VARCHAR[])")
    assert create.kind == "create_empty" and create.if_not_exists and create.primary_key == ("k",)
    assert create.columns == (("k", "STRING"), ("cell", "STRING"), ("rules", "ARRAY<STRING>"))
    assert prepare("CREATE OR REPLACE TEMP TABLE w AS SELECT 1").kind == "create_temp"
    assert prepare("DROP VIEW IF EXISTS _secrecy_arrow").kind == "drop_view"


def test_duckdb_meanings_are_spelled_for_spark() -> None:
    """Constructs both engines accept but compute differently (``semantics.py``)."""
    sql = prepare("SELECT a / b, avg(t::DECIMAL(38, 9)) OVER w, avg(x) FROM s WINDOW w AS (ORDER BY d)").sql
    assert "TRY_DIVIDE(CAST(a AS DOUBLE), CAST(b AS DOUBLE))" in sql  # DuckDB's / is a DOUBLE division
    assert "CAST(SUM(CAST(t AS DECIMAL(38, 9))) OVER w AS DECIMAL(27, 9))" in sql  # the exact mean, rounded once
    assert "CAST(AVG(x) AS DOUBLE)" in sql
    local = prepare("SELECT timezone('Europe/Paris', hour), timezone('UTC', strptime(h, '%Y%m%d%H')) FROM s").sql
    assert "FROM_UTC_TIMESTAMP(hour, 'Europe/Paris')" in local and "TO_UTC_TIMESTAMP(TO_TIMESTAMP(" in local
    assert "RLIKE ('^(?:' || '[0-9]{5}' || ')$')" in prepare("SELECT regexp_full_match(c, '[0-9]{5}') FROM s").sql
    assert "_metadata.row_index) DESC" in prepare("SELECT * FROM m.f ORDER BY at DESC, rowid DESC").sql
    parquet = prepare("SELECT file_row_number FROM read_parquet('/d/f.parquet', file_row_number=true)").sql
    assert "_metadata.row_index AS file_row_number FROM parquet.`/d/f.parquet`" in parquet
    assert prepare('DESCRIBE "_work"').describe
    update = prepare("UPDATE m.runs SET status = ?, n = n + 1 WHERE run_id = ?")
    assert update.kind == "update" and update.assigned == ("status", "n") and ":p1" in update.select
    assert prepare("INSERT OR REPLACE INTO m.s (k, v) VALUES (?, ?::JSON)").kind == "insert_replace"
    added = prepare("ALTER TABLE w ADD COLUMN IF NOT EXISTS secret BOOLEAN DEFAULT false")
    assert added.kind == "add_columns" and added.defaults == ("FALSE",) and added.if_not_exists


def test_engine_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="not understood") as err:
        open_engine("spark", Path("/nonexistent"), workerz=2)
    assert err.value.hint and "workers" in err.value.hint
    with pytest.raises(ConfigError, match="workers: 0"):
        open_engine("spark", Path("/nonexistent"), workers=0)


def test_the_store_outlives_the_session_catalog(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the spark engine is an optional extra (requirements-spark.lock)")
    engine = open_engine("spark", tmp_path)
    engine.create_or_replace(TableWrite("staging", "conso-elec", "SELECT 1 AS n, 'a' AS s"))
    engine.create_or_replace(TableWrite("staging", "conso-elec", "SELECT 2 AS n, 'b' AS s"))  # swapped in
    engine.execute('CREATE VIEW staging.v AS SELECT n + 1 AS m FROM staging."conso-elec"')
    engine.close()
    other = open_engine("spark", tmp_path / "other")  # another store in the same session hides the first
    assert not other.table_exists("staging", "conso-elec")
    other.close()
    again = open_engine("spark", tmp_path, read_only=True)
    assert again.fetch_all('SELECT n, s FROM staging."conso-elec"') == [(2, "b")]
    assert again.fetch_all("SELECT m FROM staging.v") == [(3,)]
    # one Parquet directory per table: the replaced version was removed after the swap
    assert len(list((tmp_path / "spark-warehouse" / "staging").iterdir())) == 1
    with pytest.raises(EngineError, match="read-only"):
        again.create_or_replace(TableWrite("staging", "x", "SELECT 1 AS n"))
    again.close()


def test_the_run_records_dml_runs_on_the_warehouse(tmp_path: Path) -> None:
    """The statements the run records use (``ledger/``), each a table written again."""
    pytest.importorskip("pyspark", reason="the spark engine is an optional extra (requirements-spark.lock)")
    engine = open_engine("spark", tmp_path)
    try:
        engine.execute("CREATE TABLE IF NOT EXISTS meta.state (k VARCHAR PRIMARY KEY, v INTEGER, note VARCHAR)")
        engine.execute("INSERT INTO meta.state VALUES ('a', 1, 'x'), ('b', 2, 'y')")
        engine.execute("ALTER TABLE meta.state ADD COLUMN IF NOT EXISTS extra JSON")
        engine.execute("ALTER TABLE meta.state ADD COLUMN IF NOT EXISTS extra JSON")  # already there: nothing
        engine.execute("UPDATE meta.state SET v = v + ?, note = ? WHERE k = ?", [10, "updated", "b"])
        engine.execute("INSERT OR REPLACE INTO meta.state (k, v) VALUES (?, ?), ('c', 3)", ["a", 5])
        rows = engine.fetch_all("SELECT k, v, note, extra FROM meta.state ORDER BY k")
    finally:
        engine.close()
    assert rows == [("a", 5, None, None), ("b", 12, "updated", None), ("c", 3, None, None)]
