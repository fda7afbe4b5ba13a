"""Cells table names stay within PostgreSQL's 63-byte identifiers, on every engine, and a report
written under a former, longer name is still read (DuckDB), then replaced."""

from __future__ import annotations

from datetime import datetime

import pytest

from territoria import ledger
from territoria.engines.base import Engine, quote_ident
from territoria.ledger.suppressions import MAX_IDENTIFIER_BYTES

from .conftest import cells_of

#: two ~60-character dataset names, alike but for their last characters
PREFIX = "consommation_electrique_residentielle_par_iris_et_secteur_"
LONG_A, LONG_B = PREFIX + "a", PREFIX + "b"


def test_long_names_sharing_a_prefix_keep_reports_of_their_own(store: Engine) -> None:
    names = [ledger.cells_table(d) for d in (LONG_A, LONG_B, "x" * 200, "é" * 40)]
    assert all(len(n.encode()) <= MAX_IDENTIFIER_BYTES for n in names) and len(set(names)) == len(names)
    ledger.write_suppressions(store, LONG_A, "r", ["code"], ["n"], cells_of([1, 2]))
    ledger.write_suppressions(store, LONG_B, "r", ["code"], ["n"], cells_of([7]))
    assert [c["cell"] for c in ledger.suppressed_cells(store, LONG_A)] == [{"code": 1}, {"code": 2}]
    assert [c["cell"] for c in ledger.suppressed_cells(store, LONG_B)] == [{"code": 7}]
    counts = ledger.suppression_counts(store)
    assert counts[(LONG_A, "primary")] == 2 and counts[(LONG_B, "primary")] == 1
    ledger.write_suppressions(store, LONG_A, "r", ["code"], ["n"], None)
    assert ledger.suppressed_cells(store, LONG_A) == []
    assert [c["cell"] for c in ledger.suppressed_cells(store, LONG_B)] == [{"code": 7}]


def test_a_short_name_keeps_its_former_table() -> None:
    assert ledger.cells_table("energie_cellules") == "secrecy_cells_energie_cellules"


def _write_under_former_name(
    engine: Engine, dataset: str, codes: list[int], at: datetime = datetime(2026, 1, 1)
) -> str:
    """What the writer did before names were bounded: the whole name, however long."""
    former = "secrecy_cells_" + dataset
    table = f"{ledger.META}.{quote_ident(former)}"
    engine.register_arrow("_former_cells", cells_of(codes))
    engine.execute(f"DROP TABLE IF EXISTS {table}")
    engine.execute(f"CREATE TABLE {table} AS SELECT * FROM _former_cells")
    engine.execute("DROP VIEW IF EXISTS _former_cells")
    engine.execute(
        f"INSERT INTO {ledger.REPORTS} VALUES (?, 'r', ?::TIMESTAMP, ?, ?::JSON, ?::JSON)",
        [dataset, at, former, '["code"]', '["n"]'],
    )
    return former


@pytest.mark.parametrize("store", ["duckdb"], indirect=True)
def test_a_report_under_a_former_long_name_is_read_then_replaced(store: Engine) -> None:
    engine = store
    ledger.ensure_reports(engine)
    former = _write_under_former_name(engine, LONG_A, [3, 4])
    assert len(former) > MAX_IDENTIFIER_BYTES and engine.table_exists(ledger.META, former)
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_A)] == [{"code": 3}, {"code": 4}]
    assert ledger.suppression_counts(engine)[(LONG_A, "primary")] == 2
    ledger.write_suppressions(engine, LONG_A, "r", ["code"], ["n"], cells_of([5]))
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_A)] == [{"code": 5}]
    assert not engine.table_exists(ledger.META, former)  # migrated: the long-named table is gone


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_cut_former_name_on_postgresql_is_not_read_as_the_report(store: Engine) -> None:
    """PostgreSQL stored both former tables under one cut name: that table may be either
    dataset's cells (both written at one time), so neither report reads it, and the next write
    drops it; each is right again once written anew."""
    engine = store
    ledger.ensure_reports(engine)
    cut = _write_under_former_name(engine, LONG_A, [3]).encode()[:MAX_IDENTIFIER_BYTES].decode()
    _write_under_former_name(engine, LONG_B, [9])  # the cut name now holds B's cells
    assert ledger.suppressed_cells(engine, LONG_A) == []  # not B's cells
    assert ledger.suppression_counts(engine) == {}
    ledger.write_suppressions(engine, LONG_A, "r", ["code"], ["n"], cells_of([5]))
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_A)] == [{"code": 5}]
    assert not engine.table_exists(ledger.META, cut) and ledger.suppressed_cells(engine, LONG_B) == []


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_cut_former_name_on_postgresql_is_read_by_the_dataset_that_wrote_it_last(store: Engine) -> None:
    """A cut name is the cells of the dataset that wrote it last (each write dropped and made it
    again): that dataset's report is read, not lost until its next publication; an older report
    under the same cut name is not (its cells were replaced), and the one written anew drops it."""
    engine = store
    ledger.ensure_reports(engine)
    _write_under_former_name(engine, LONG_A, [3], datetime(2026, 1, 1))
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_A)] == [{"code": 3}]  # alone on its name
    assert ledger.suppression_counts(engine) == {(LONG_A, "primary"): 1}
    cut = _write_under_former_name(engine, LONG_B, [9], datetime(2026, 2, 1)).encode()[:MAX_IDENTIFIER_BYTES]
    assert ledger.suppressed_cells(engine, LONG_A) == []  # B's cells now, not A's
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_B)] == [{"code": 9}]
    assert ledger.suppression_counts(engine) == {(LONG_B, "primary"): 1}
    ledger.write_suppressions(engine, LONG_B, "r", ["code"], ["n"], cells_of([8]))
    assert not engine.table_exists(ledger.META, cut.decode())  # B's former table, dropped
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_B)] == [{"code": 8}]
    assert ledger.suppressed_cells(engine, LONG_A) == []


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_cut_former_name_taken_since_by_a_shorter_dataset_is_moved_first(store: Engine) -> None:
    """A dataset whose own name is exactly that cut name (63 bytes, not cut) writes that table:
    the long-named report it held moves to its own name first, neither lost nor read as the
    newcomer's."""
    engine = store
    ledger.ensure_reports(engine)
    cut = _write_under_former_name(engine, LONG_A, [3]).encode()[:MAX_IDENTIFIER_BYTES].decode()
    short = cut.removeprefix("secrecy_cells_")
    assert ledger.cells_table(short) == cut
    ledger.write_suppressions(engine, short, "r", ["code"], ["n"], cells_of([6]))
    assert [c["cell"] for c in ledger.suppressed_cells(engine, short)] == [{"code": 6}]
    assert [c["cell"] for c in ledger.suppressed_cells(engine, LONG_A)] == [{"code": 3}]
    assert engine.table_exists(ledger.META, ledger.cells_table(LONG_A))
