"""Statement parameters sent as typed literals, so that the ledger's writes do not load pandas.

DuckDB's Python client imports pandas (and numpy) the first time a statement is bound with a
parameter that is not ``None``, to compare it with ``pandas.NaT`` and ``pandas.NA``: 0.3-0.4 CPU-s
and up to a second on a busy machine, paid by every command that writes its run to the ledger
though none of it uses pandas. A statement whose parameters all have an exact literal form is
run as ``PREPARE`` + ``EXECUTE`` with those literals, each cast to the type DuckDB's own binding
gives the Python value (``INTEGER`` or ``BIGINT``, ``DOUBLE``, ``VARCHAR``, ``TIMESTAMP``,
``TIMESTAMPTZ``, ``DATE``); any other parameter (bytes, lists, decimals...) is bound as before.
A value's literal is written by its base type's own method (``float.__repr__``...), as binding
reads it: a subclass's text is not its value (``repr(numpy.float64(1.5))`` is
``'np.float64(1.5)'``). A text of several statements is bound too: ``PREPARE`` would take only
the first, and run the others at once without their parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from territoria.engines.base import quote_literal

INT32 = (-(2**31), 2**31)
INT64 = (-(2**63), 2**63)


def literal(value: Any) -> str | None:
    """SQL for ``value`` typed as DuckDB binds it, or None when it has no exact literal here."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # bounds compared, not ``value in range(...)``: a range tests an int subclass (IntEnum...)
        # by iterating over it, billions of steps
        kind = "INTEGER" if INT32[0] <= value < INT32[1] else "BIGINT" if INT64[0] <= value < INT64[1] else None
        return f"CAST({int.__repr__(value)} AS {kind})" if kind else None
    if isinstance(value, float):
        # repr round-trips, and DuckDB parses 'nan' and 'inf' as DOUBLE does
        return f"CAST('{float.__repr__(value)}' AS DOUBLE)"
    if isinstance(value, str):
        text = str.__str__(value)
        return None if "\0" in text else f"CAST({quote_literal(text)} AS VARCHAR)"
    if isinstance(value, dt.datetime):
        kind = "TIMESTAMP" if value.tzinfo is None else "TIMESTAMPTZ"
        return f"CAST('{dt.datetime.isoformat(value)}' AS {kind})"
    if isinstance(value, dt.date):
        return f"CAST('{dt.date.isoformat(value)}' AS DATE)"
    return None


def inlined(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> list[str] | None:
    """The literals of ``params`` when every one has one (and there is at least one) and ``sql`` is
    one statement, else None."""
    if not params or isinstance(params, dict):
        return None
    try:
        if len(con.extract_statements(sql)) != 1:
            return None
    except duckdb.Error:
        return None  # binding raises the error, as it did
    literals = [literal(p) for p in params]
    if any(lit is None for lit in literals):
        return None
    return [lit for lit in literals if lit is not None]
