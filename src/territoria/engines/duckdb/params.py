"""Statement parameters sent as typed literals, so that the ledger's writes do not load pandas.

DuckDB's Python client imports pandas (and numpy) the first time a statement is bound with a
parameter that is not ``None``, to compare it with ``pandas.NaT`` and ``pandas.NA``: 0.3-0.4 CPU-s
and up to a second on a busy machine, paid by every command that writes its run to the ledger
though none of it uses pandas. A statement whose parameters all have an exact literal form is
run as ``PREPARE`` + ``EXECUTE`` with those literals, each cast to the type DuckDB's own binding
gives the Python value (``INTEGER`` or ``BIGINT``, ``DOUBLE``, ``VARCHAR``, ``TIMESTAMP``,
``TIMESTAMPTZ``, ``DATE``); any other parameter (bytes, lists, decimals...) is bound as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from territoria.engines.base import quote_literal

INT32 = range(-(2**31), 2**31)
INT64 = range(-(2**63), 2**63)


def literal(value: Any) -> str | None:
    """SQL for ``value`` typed as DuckDB binds it, or None when it has no exact literal here."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        kind = "INTEGER" if value in INT32 else "BIGINT" if value in INT64 else None
        return f"CAST({value} AS {kind})" if kind else None
    if isinstance(value, float):
        # repr round-trips, and DuckDB parses 'nan' and 'inf' as DOUBLE does
        return f"CAST('{value!r}' AS DOUBLE)"
    if isinstance(value, str):
        return None if "\0" in value else f"CAST({quote_literal(value)} AS VARCHAR)"
    if isinstance(value, dt.datetime):
        kind = "TIMESTAMP" if value.tzinfo is None else "TIMESTAMPTZ"
        return f"CAST('{value.isoformat()}' AS {kind})"
    if isinstance(value, dt.date):
        return f"CAST('{value.isoformat()}' AS DATE)"
    return None


def inlined(params: Sequence[Any] | None) -> list[str] | None:
    """The literals of ``params`` when every one has one (and there is at least one), else None."""
    if not params or isinstance(params, dict):
        return None
    literals = [literal(p) for p in params]
    if any(lit is None for lit in literals):
        return None
    return [lit for lit in literals if lit is not None]
