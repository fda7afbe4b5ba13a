"""A pack's SQL that stops on purpose (``error('message')``) is a data error, told from the engine's
own failures by what the engine says of its origin (``engines/pack_errors.py``). Before, DuckDB's
was an "internal error InvalidInputException: Invalid Input Error: <message>" with a traceback, and
PostgreSQL's an EngineError "PostgreSQL refused a statement: <message> CONTEXT: PL/pgSQL ..."."""

from __future__ import annotations

import pytest

from territoria.core.errors import DataError, TerritoriaError
from territoria.engines.base import Engine
from territoria.engines.pack_errors import pack_error

STOPS = (
    "SELECT CASE WHEN n > 1 THEN error('facteurs-emission: factor ' || n::VARCHAR || ' overlaps{hint}') "
    "ELSE n END AS v FROM (SELECT 1 AS n UNION ALL SELECT 2 AS n) AS t"
)


def raised(engine: Engine, sql: str) -> BaseException:
    with pytest.raises(Exception) as info:
        engine.fetch_all(sql)
    return info.value


def as_data_error(exc: BaseException) -> DataError | None:
    """What the runner makes of a step's error (``pipelines/runner.py``)."""
    return exc if isinstance(exc, DataError) else pack_error(exc)


def test_a_deliberate_error_is_a_data_error_with_its_message_alone(engine: Engine) -> None:
    found = as_data_error(raised(engine, STOPS.format(hint="")))
    assert found is not None and found.message == "facteurs-emission: factor 2 overlaps", found
    assert found.hint is None


def test_a_hint_line_in_the_message_is_the_errors_hint(engine: Engine) -> None:
    found = as_data_error(raised(engine, STOPS.format(hint="' || chr(10) || 'hint: give each year one factor")))
    assert found is not None and found.message == "facteurs-emission: factor 2 overlaps"
    assert found.hint == "give each year one factor"


def test_the_engines_own_invalid_inputs_stay_engine_errors(engine: Engine) -> None:
    """A bad conversion, even of a text that starts like the DuckDB marker, is no pack error."""
    for sql in (
        "SELECT strptime(chr(30) || 'territoria' || chr(30) || 'x', '%Y')",
        "SELECT CAST('x' AS INTEGER)",
    ):
        exc = raised(engine, sql)
        assert as_data_error(exc) is None, (sql, exc)
        assert not isinstance(exc, DataError)
    assert isinstance(raised(engine, "SELECT * FROM no_such_table"), Exception)


def test_pack_error_ignores_errors_of_other_origins() -> None:
    assert pack_error(ValueError("Invalid Input Error: \x1eterritoria\x1eboom")) is None
    assert pack_error(TerritoriaError("boom")) is None
