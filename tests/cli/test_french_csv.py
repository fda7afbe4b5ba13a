"""The French CSV a spreadsheet user opens: French headers, oui/non, decimal comma, and
numbers as they were meant (declared decimals, no binary noise, counts without ``.0``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.engines.base import Engine
from territoria.engines.duckdb import DuckDBEngine
from territoria.publication.formats import ExportJob, get_format


@pytest.fixture
def engine() -> Engine:
    engine = DuckDBEngine.open(None)
    engine.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        "('35238', true, 22543.894999999997::DOUBLE, 451.0::DOUBLE, 3.14159::DOUBLE, 7), "
        "('35047', false, 0.1::DOUBLE + 0.2, 12.0::DOUBLE, NULL, 8)) "
        "AS v(code, secret, energie, habitants, value, n)"
    )
    return engine


def export(engine: Engine, fmt: str, dest: Path) -> list[str]:
    job = ExportJob(
        engine,
        "t",
        engine.columns("main", "t"),
        dest,
        "t",
        titles={"code": "Code commune", "energie": "Énergie (MWh)"},
        decimals={"value": 2},
    )
    get_format(fmt).write(job)
    return dest.read_text(encoding="utf-8-sig").splitlines()


def test_french_csv(engine: Engine, tmp_path: Path) -> None:
    header, *rows = export(engine, "csv", tmp_path / "t.csv")
    assert header == "Code commune;secret;Énergie (MWh);habitants;value;n"
    assert rows == ["35047;non;0,3;12;;8", "35238;oui;22543,895;451;3,14;7"]


def test_standard_csv_keeps_names_and_dots(engine: Engine, tmp_path: Path) -> None:
    header, *rows = export(engine, "csv-std", tmp_path / "t.std.csv")
    assert header == "code,secret,energie,habitants,value,n"
    assert rows == ["35047,false,0.3,12,,8", "35238,true,22543.895,451,3.14,7"]


def test_default_file_names_differ() -> None:
    assert get_format("csv").extension != get_format("csv-std").extension
