"""No two dataset names share a cells table: a crafted name spelling another's bounded table name
(a hyphenated name's ``_<hash>`` form, a long name's cut ``_<hash>`` form) gets a table of its
own, and a store written by a former, colliding version reads no dataset's cells as another's."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territoria import ledger
from territoria.catalog.model import IDENTIFIER
from territoria.engines.base import Engine, quote_ident
from territoria.ledger.suppressions import MAX_IDENTIFIER_BYTES

from .conftest import cells_of

LONG = "consommation_electrique_residentielle_par_iris_et_secteur_a"
PREFIX = "secrecy_cells_"


def _codes(engine: Engine, dataset: str) -> list[int]:
    return [c["cell"]["code"] for c in ledger.suppressed_cells(engine, dataset)]


def _former_name(dataset: str) -> str:
    """The cells table name of the former version: a hyphenated name made ``_<8 hex>``, a long
    one its first 46 bytes and ``_<16 hex>`` (a plain name of that shape got the same table)."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", dataset)
    if safe != dataset:
        safe += "_" + hashlib.sha256(dataset.encode()).hexdigest()[:8]
    name = PREFIX + safe
    if len(name) > MAX_IDENTIFIER_BYTES:
        name = f"{name[:46]}_{hashlib.sha256(dataset.encode()).hexdigest()[:16]}"
    return name


def _write_as_former_version(engine: Engine, dataset: str, codes: list[int], at: datetime) -> None:
    """What the former version wrote: its table made anew (another's of that name dropped)."""
    ledger.ensure_reports(engine)
    name = _former_name(dataset)
    table = f"{ledger.META}.{quote_ident(name)}"
    engine.register_arrow("_former_cells", cells_of(codes))
    engine.execute(f"DROP TABLE IF EXISTS {table}")
    engine.execute(f"CREATE TABLE {table} AS SELECT * FROM _former_cells")
    engine.execute("DROP VIEW IF EXISTS _former_cells")
    engine.execute(f"DELETE FROM {ledger.REPORTS} WHERE dataset = ?", [dataset])
    engine.execute(
        f"INSERT INTO {ledger.REPORTS} VALUES (?, 'r', ?::TIMESTAMP, ?, ?::JSON, ?::JSON)",
        [dataset, at, name, '["code"]', '["n"]'],
    )


@pytest.mark.parametrize("dataset", ["conso-gaz", LONG])
def test_a_name_spelling_another_s_table_name_gets_a_table_of_its_own(store: Engine, dataset: str) -> None:
    twin = ledger.cells_table(dataset).removeprefix(PREFIX)
    assert twin != dataset and IDENTIFIER.match(twin)  # a name the catalog accepts
    ledger.write_suppressions(store, dataset, "r", ["code"], ["n"], cells_of([1]))
    ledger.write_suppressions(store, twin, "r", ["code"], ["n"], cells_of([2, 3]))
    assert _codes(store, dataset) == [1] and _codes(store, twin) == [2, 3]
    assert ledger.suppression_counts(store) == {(dataset, "primary"): 1, (twin, "primary"): 2}


@pytest.mark.parametrize("dataset", ["conso-gaz", LONG])
def test_a_table_two_former_reports_shared_is_read_by_the_last_writer_only(store: Engine, dataset: str) -> None:
    """The former version gave both names one table: it holds the cells of the one written last."""
    twin = _former_name(dataset).removeprefix(PREFIX)
    _write_as_former_version(store, dataset, [1], datetime(2026, 1, 1))
    _write_as_former_version(store, twin, [2], datetime(2026, 2, 1))
    assert _codes(store, dataset) == [] and _codes(store, twin) == [2]  # not the twin's cells
    assert ledger.suppression_counts(store) == {(twin, "primary"): 1}
    ledger.write_suppressions(store, "autre", "r", ["code"], ["n"], cells_of([9]))  # the store migrates
    assert _codes(store, dataset) == [] and _codes(store, twin) == [2] and _codes(store, "autre") == [9]
    ledger.write_suppressions(store, dataset, "r", ["code"], ["n"], cells_of([4]))
    assert _codes(store, dataset) == [4] and _codes(store, twin) == [2]


@pytest.mark.parametrize("dataset", ["conso-gaz", LONG])
def test_a_former_report_stays_readable_when_a_new_name_is_its_table_s(store: Engine, dataset: str) -> None:
    """A name whose table, now, is the former table of another dataset: that report is moved to
    its dataset's own name first, not dropped nor read as the newcomer's."""
    twin = _former_name(dataset).removeprefix(PREFIX)
    assert ledger.cells_table(twin) == _former_name(dataset)
    _write_as_former_version(store, dataset, [1], datetime(2026, 1, 1))
    ledger.write_suppressions(store, twin, "r", ["code"], ["n"], cells_of([2]))
    assert _codes(store, dataset) == [1] and _codes(store, twin) == [2]
    assert store.table_exists(ledger.META, ledger.cells_table(dataset))  # moved under its own name
    ledger.write_suppressions(store, dataset, "r", ["code"], ["n"], None)
    assert _codes(store, dataset) == [] and _codes(store, twin) == [2]


#: the names the catalog accepts, and any text (a model's name, a test's)
CATALOG_NAMES = st.from_regex(IDENTIFIER, fullmatch=True)
NAMES = st.one_of(CATALOG_NAMES, st.text(min_size=1, max_size=90))


def _twins(dataset: str) -> set[str]:
    """The names a crafted dataset could take to land on ``dataset``'s table."""
    table = ledger.cells_table(dataset)
    own = table.removeprefix(PREFIX)
    return {own, own.upper(), own.lower(), dataset.upper(), dataset.lower(), table, table[:MAX_IDENTIFIER_BYTES]}


@settings(max_examples=500, deadline=None)
@given(st.lists(NAMES, min_size=2, max_size=8, unique=True), NAMES)
def test_distinct_dataset_names_never_share_a_table(names: list[str], crafted_from: str) -> None:
    """Injective, on an engine that folds case too (DuckDB), within PostgreSQL's 63 bytes."""
    names = list(dict.fromkeys([*names, *_twins(crafted_from)]))
    tables = [ledger.cells_table(n) for n in names]
    assert all(len(t.encode()) <= MAX_IDENTIFIER_BYTES and re.fullmatch(r"[a-z0-9_]+", t) for t in tables)
    assert len({t.lower() for t in tables}) == len(names)


@settings(max_examples=15, deadline=None)
@given(st.lists(CATALOG_NAMES, min_size=1, max_size=3, unique=True))
def test_every_report_reads_its_own_cells(names: list[str]) -> None:
    """On a store: each name and its crafted twins, written in turn, read their own cells."""
    from territoria.engines.duckdb.engine import open_duckdb

    engine = open_duckdb(None)
    try:
        ledger.ensure_meta(engine)
        every = list(dict.fromkeys(n for name in names for n in (name, ledger.cells_table(name).removeprefix(PREFIX))))
        for i, name in enumerate(every):
            ledger.write_suppressions(engine, name, "r", ["code"], ["n"], cells_of([i]))
        assert [_codes(engine, name) for name in every] == [[i] for i in range(len(every))]
    finally:
        engine.close()
