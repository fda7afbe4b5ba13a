"""The order of an indicator table's rows (``pipelines/steps.py``, ``run_indicator``).

Every column sorts it, so the same rows make the same table on any thread count; when a
``unique`` test holds on a key among its first columns, the sort stops at the last of them, and
the table is the same, row for row.
"""

from __future__ import annotations

import pytest

from territoria.engines.base import Engine
from territoria.engines.duckdb.engine import open_duckdb
from territoria.indicators.definition import IndicatorDef, IndicatorTest
from territoria.pipelines.spec import IndicatorStep
from territoria.pipelines.steps import run_indicator

#: 40,000 rows in no order, unique on (mesh, code, period, sector) with NULLs among its values; the
#: label, between the key's columns, varies within a code
ROWS = """
SELECT CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'commune' WHEN 2 THEN 'epci' ELSE 'region' END AS mesh,
       lpad((i // 80)::VARCHAR, 5, '0') AS code,
       'Nom ' || (i % 7)::VARCHAR AS libelle,
       CASE WHEN (i % 80) // 20 = 0 THEN NULL ELSE 2010 + (i % 80) // 20 END AS period,
       ['a', 'b', 'c', 'd', 'e'][1 + (i % 20) // 4] AS sector,
       (hash(i) % 1000) / 7.0 AS value,
       ['f1', 'f2'][1 + i % 2] AS factor
FROM range(40000) r(i) ORDER BY hash(i * 31)
"""


def _step(tests: list[IndicatorTest]) -> IndicatorStep:
    ind = IndicatorDef(id="t", title="T", unit="u", sql=ROWS, tests=tests)
    return IndicatorStep(id="indicator:t", inputs=(), outputs=("t",), definition={}, sql=ROWS, params={}, indicator=ind)


def _written(engine: Engine, step: IndicatorStep) -> str:
    outcome = run_indicator(engine, step, {})
    with engine.transaction():
        for write in outcome.writes:
            engine.create_or_replace(write)
    outcome.release(engine)
    return outcome.writes[0].select_sql


@pytest.mark.parametrize("threads", [1, 4])
def test_a_unique_key_stops_the_sort_at_its_last_column_in_the_same_order(threads: int) -> None:
    # (mesh, code, period, sector) is unique, NULLs included; the label lies between its columns
    key = IndicatorTest(kind="unique", columns=["mesh", "code", "period", "sector"])
    engine = open_duckdb(None, threads=threads)
    try:
        select = _written(engine, _step([IndicatorTest(kind="not_null"), key]))
        # indicator, version, mesh, code, libelle, period, sector: factor, secret, value and unit never decide
        assert select.endswith("ORDER BY 1, 2, 3, 4, 5, 6, 7")
        stored = engine.fetch_all('SELECT * FROM indicator."t"')
        assert len(stored) == 40000
        assert stored == engine.fetch_all('SELECT * FROM indicator."t" ORDER BY ALL')
    finally:
        engine.close()


def test_without_a_unique_key_every_column_sorts() -> None:
    engine = open_duckdb(None, threads=4)
    try:
        select = _written(engine, _step([IndicatorTest(kind="not_null")]))
        assert select.endswith("ORDER BY ALL")
        assert engine.fetch_all('SELECT * FROM indicator."t"') == engine.fetch_all(
            'SELECT * FROM indicator."t" ORDER BY ALL'
        )
    finally:
        engine.close()


def test_a_key_on_a_column_the_copy_rewrites_does_not_shorten_the_sort() -> None:
    # value is unique before it is rounded, not after; the copy's version is a constant
    value = IndicatorTest(kind="unique", columns=["value", "code", "period", "mesh", "sector", "factor"])
    engine = open_duckdb(None)
    try:
        assert _written(engine, _step([value])).endswith("ORDER BY ALL")
    finally:
        engine.close()
