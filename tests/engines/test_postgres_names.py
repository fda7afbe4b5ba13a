"""PostgreSQL keeps 63 bytes of an identifier (NAMEDATALEN - 1) and cuts a longer one without an
error: a longer name must never be found as the table, schema or columns its cut form names, and
the store never writes a table under a cut name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from territoria.core.errors import EngineError
from territoria.engines import open_engine
from territoria.engines.base import TableWrite
from territoria.engines.postgres.engine import PostgresEngine

from .conftest import store_options

MAX = 63


@pytest.fixture
def pg(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PostgresEngine]:
    eng = open_engine("postgres", tmp_path, **store_options("postgres", request, tmp_path))
    assert isinstance(eng, PostgresEngine)
    yield eng
    eng.close()


def test_a_longer_name_does_not_find_the_table_of_its_cut_form(pg: PostgresEngine) -> None:
    name = "n" * MAX
    pg.create_or_replace(TableWrite("staging", name, "SELECT 1 AS x"))
    assert pg.table_exists("staging", name)
    assert [c for c, _ in pg.columns("staging", name)] == ["x"]
    longer = name + "_2024"
    assert not pg.table_exists("staging", longer)
    assert pg.columns("staging", longer) == []


def test_a_longer_schema_does_not_find_the_schema_of_its_cut_form(pg: PostgresEngine) -> None:
    schema = "s" * (MAX - len(pg.schema_name("")))  # the store's prefix and this: 63 bytes on the server
    pg.create_or_replace(TableWrite(schema, "t", "SELECT 1 AS x"))
    assert pg.table_exists(schema, "t")
    assert not pg.table_exists(schema + "_bis", "t")
    assert pg.columns(schema + "_bis", "t") == []


def test_a_table_is_never_written_under_a_cut_name(pg: PostgresEngine) -> None:
    name = "n" * MAX
    pg.create_or_replace(TableWrite("staging", name, "SELECT 1 AS x"))
    with pytest.raises(EngineError, match="longer than PostgreSQL's 63-byte names") as refused:
        pg.create_or_replace(TableWrite("staging", name + "_2024", "SELECT 2 AS x"))
    assert refused.value.hint
    assert pg.fetch_all(f'SELECT x FROM "staging"."{name}"') == [(1,)]  # the other table is untouched
