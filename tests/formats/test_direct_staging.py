"""Rows written straight into the store by the validation, and renamed by the commit: the same
rows, in the same order, with the same quarantine as when they are copied from a temporary
table; the previous staging table stays until the commit; a table a crash left is replaced; and
the store takes no more blocks than with a copy (DuckDB packs a bulk insert's column segments
well only when each read batch holds about one row group, see ``csv_buffer_size``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from territoria.catalog.model import TableSchema
from territoria.connectors.formats import csv_lines, get_reader
from territoria.engines.base import Engine, TableWrite
from territoria.engines.duckdb.engine import CSV_BUFFER_MAX, CSV_BUFFER_MIN, DuckDBEngine, csv_buffer_size
from territoria.validation import validate_relation
from territoria.validation.tableschema import STAGED_PREFIX, ValidationOutcome

from .support import CONSO_SCHEMA, SourceFactory
from .test_fast_paths import ENUM_OF_FIVE, SCHEMA, _bad_file


def _validate(engine: Engine, path: Path, tmp: Path, schema: dict[str, Any], direct: bool) -> ValidationOutcome:
    raw = get_reader("csv")(engine, path, {}, tmp)
    staged = ("staging", "big") if direct else None
    return validate_relation(engine, raw, TableSchema.model_validate(schema), "_v", staged=staged)


def _commit(engine: Engine, outcome: ValidationOutcome, fail: bool = False) -> None:
    """What the runner's commit does with an ingest's outcome (``fail``: a later write fails)."""
    writes = [
        TableWrite("staging", "big", outcome.staging_sql, rename_from=outcome.staged_table),
        TableWrite("quarantine", "big", outcome.quarantine_sql),
    ]
    if fail:
        writes.append(TableWrite("quarantine", "broken", "SELECT * FROM no_such_table"))
    try:
        with engine.transaction():
            for write in writes:
                engine.create_or_replace(write)
            outcome.drop(engine)
    finally:
        outcome.drop(engine)


def _tables(engine: Engine) -> set[tuple[str, str]]:
    return {t for t in engine.tables() if t[0] in ("staging", "quarantine")}


def _stored(engine: Engine) -> tuple[list[Any], list[Any]]:
    return (
        engine.fetch_all("SELECT * FROM staging.big ORDER BY ALL"),
        engine.fetch_all("SELECT * FROM quarantine.big ORDER BY _line"),
    )


@pytest.mark.parametrize("schema", [SCHEMA, ENUM_OF_FIVE], ids=["plain", "enum-of-five"])
def test_rows_written_straight_are_the_copied_rows_in_file_order(tmp_path: Path, schema: dict[str, Any]) -> None:
    path = tmp_path / "big.csv"
    bad = _bad_file(path, 300_000)
    engine = DuckDBEngine(tmp_path / "store.duckdb", threads=2, memory_limit="256MB")
    try:
        copied = _validate(engine, path, tmp_path, schema, direct=False)
        assert copied.staged_table is None
        _commit(engine, copied)
        expected = _stored(engine)
        direct = _validate(engine, path, tmp_path, schema, direct=True)
        assert direct.staged_table == STAGED_PREFIX + "big"
        _commit(engine, direct)
        assert _stored(engine) == expected
        # and in the file's order (its codes ascend), which a copy through a filter does not keep
        assert engine.fetch_all("SELECT * FROM staging.big ORDER BY rowid") == expected[0]
        assert {line for line, _, _ in expected[1]} == bad
        assert [c for c, _ in engine.columns("staging", "big")] == [
            "code",
            "annee",
            "valeur",
            "valeur_secret",
            "libelle",
        ]
        assert _tables(engine) == {("staging", "big"), ("quarantine", "big")}
    finally:
        engine.close()


def test_the_previous_staging_stays_until_the_commit_and_after_a_failed_one(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _bad_file(path, 50_000)
    engine = DuckDBEngine(tmp_path / "store.duckdb")
    try:
        engine.ensure_schema("staging")
        engine.execute("CREATE TABLE staging.big AS SELECT 'previous' AS code")
        outcome = _validate(engine, path, tmp_path, SCHEMA, direct=True)
        assert engine.fetch_all("SELECT * FROM staging.big") == [("previous",)]
        with pytest.raises(duckdb.CatalogException):
            _commit(engine, outcome, fail=True)
        # the rename is rolled back with the failed write, and the rows written for it are dropped
        assert engine.fetch_all("SELECT * FROM staging.big") == [("previous",)]
        assert _tables(engine) == {("staging", "big")}
    finally:
        engine.close()


def test_a_failed_validation_leaves_no_table_behind(tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text("code;annee;valeur;libelle\n" + "".join(f"{i:06d};deux;1;x\n" for i in range(100)))
    engine = DuckDBEngine(tmp_path / "store.duckdb")
    try:
        with pytest.raises(Exception, match="changed the column's type"):
            _validate(engine, path, tmp_path, SCHEMA, direct=True)
        assert _tables(engine) == set()
    finally:
        engine.close()


@pytest.mark.parametrize("direct", [True, False], ids=["straight", "copied"])
def test_lines_are_right_inside_a_transaction(tmp_path: Path, direct: bool) -> None:
    """Rows written inside an open transaction have row ids from 2**55 until it commits."""
    path = tmp_path / "big.csv"
    bad = _bad_file(path, 20_000)
    engine = DuckDBEngine(tmp_path / "store.duckdb")
    try:
        with engine.transaction():
            _commit(engine, _validate(engine, path, tmp_path, SCHEMA, direct=direct))
        staged, quarantined = _stored(engine)
        assert {line for line, _, _ in quarantined} == bad
        assert len(staged) == 20_000 - len(bad)
    finally:
        engine.close()


def test_a_table_left_by_a_crash_is_replaced_by_the_next_ingest(make_source: SourceFactory) -> None:
    src = make_source("ragged.csv", schema=CONSO_SCHEMA)
    assert src.run().status == "success"
    assert src.staged and src.quarantined
    expected = (src.staged, src.quarantined)
    leftover = f'staging."{STAGED_PREFIX}{src.name}"'
    # as a kill between the validation and the commit leaves it, with other rows and columns
    with src.ws.engine() as engine:
        engine.execute(f"CREATE TABLE {leftover} AS SELECT 'crash' AS code, 1 AS other")
    src.put(src.data.read_bytes() + b"\n")  # changed bytes, same rows: ingested again
    assert src.run().status == "success"
    assert (src.staged, src.quarantined) == expected
    with src.ws.engine() as engine:
        assert not engine.table_exists("staging", STAGED_PREFIX + src.name)


def test_a_crash_leftover_of_a_removed_dataset_is_dropped_by_the_next_run(make_source: SourceFactory) -> None:
    """No ingest replaces it: its dataset is gone. That of a dataset still declared is left to
    its next ingest (above), and a table of another name under the prefix's schema stays."""
    src = make_source("ragged.csv", schema=CONSO_SCHEMA)
    assert src.run().status == "success"
    with src.ws.engine() as engine:
        for table in (f"{STAGED_PREFIX}gone", f"{STAGED_PREFIX}{src.name}", "gone"):
            engine.execute(f'CREATE TABLE staging."{table}" AS SELECT 1 AS x')
    assert src.run().status == "success"  # nothing changed: nothing ingested
    with src.ws.engine() as engine:
        assert not engine.table_exists("staging", f"{STAGED_PREFIX}gone")
        assert engine.table_exists("staging", f"{STAGED_PREFIX}{src.name}")
        assert engine.table_exists("staging", "gone")


BENCH_LIKE: dict[str, Any] = {
    "fields": [
        {"name": "code", "type": "string"},
        {"name": "libelle", "type": "string"},
        {"name": "annee", "type": "year"},
        {"name": "valeur", "type": "number", "decimalChar": ","},
        {"name": "nb", "type": "integer"},
        {"name": "jour", "type": "date", "format": "%d/%m/%Y"},
    ]
}


def _bench_like(path: Path, rows: int) -> None:
    """A file shaped like the producers' (and the CSV bench's): codes, labels, years, decimals, dates."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT CAST(35000 + i % 360 AS VARCHAR) AS code,
              (['Rennes', 'Saint-Jacques-de-la-Lande', 'Cesson-Sévigné', 'Chantepie'])[1 + (i % 4)::INT] AS libelle,
              2015 + (i % 9)::INT AS annee, replace(printf('%.3f', (i % 100000) / 7.0), '.', ',') AS valeur,
              CAST(i % 500 AS VARCHAR) AS nb, strftime(DATE '2024-01-01' + CAST(i % 365 AS INTEGER), '%d/%m/%Y') AS jour
            FROM range({rows}) t(i)) TO '{path}' (DELIMITER ';', HEADER)"""
    )
    con.close()


def _blocks(engine: Engine) -> int:
    return int(engine.fetch_all("SELECT count(DISTINCT block_id) FROM pragma_storage_info('staging.big')")[0][0])


def test_rows_written_straight_take_no_more_blocks_than_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _bench_like(path, 3_000_000)
    engine = DuckDBEngine(tmp_path / "store.duckdb", threads=2, memory_limit="512MB")
    try:
        _commit(engine, _validate(engine, path, tmp_path, BENCH_LIKE, direct=False))
        copied = _blocks(engine)
        _commit(engine, _validate(engine, path, tmp_path, BENCH_LIKE, direct=True))
        # with DuckDB's default read buffer (several row groups of these lines): 8 % more here,
        # 26 % on the bench's file
        assert _blocks(engine) <= copied * 1.03
    finally:
        engine.close()


def test_mean_line_bytes(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_bytes(b"".join(b"%09d\n" % i for i in range(200_000)))  # 10 bytes a line
    assert csv_lines.mean_line_bytes(path) == pytest.approx(10.0, rel=1e-3)
    path.write_bytes(b"x" * 1000)
    assert csv_lines.mean_line_bytes(path) is None


def test_csv_buffer_size_holds_about_a_row_group_within_duckdbs_bounds() -> None:
    assert csv_buffer_size(85.0) == int(122_880 * 0.93 * 85.0)
    assert csv_buffer_size(1.0) == CSV_BUFFER_MIN  # never below DuckDB's largest line
    assert csv_buffer_size(10_000.0) == CSV_BUFFER_MAX  # nor more memory per thread than its default
