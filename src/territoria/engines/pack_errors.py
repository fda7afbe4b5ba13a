"""A pack's SQL that stops a run on purpose, told from an engine's failure by the error's origin.

Pack SQL refuses data it cannot use with DuckDB's ``error('message')`` (e.g. energy_ghg's
``ges_emissions`` on overlapping emission factors): that is a data error, reported as its message
(and a hint, when the message carries one after a line ``hint: ...``), never as an internal error
with a traceback. Each engine's error function marks what it raises, so that no free text is ever
guessed from:

- DuckDB: ``error`` is shadowed on the engine's connection by a macro calling the built-in with
  ``MARKER`` first (``DUCKDB_ERROR_MACRO``): the exception is an ``InvalidInputException`` whose
  text starts with DuckDB's prefix and the marker. DuckDB's own invalid inputs (a bad ``strptime``,
  a failed ``CAST`` in a list...) start otherwise and stay internal errors.
- PostgreSQL: ``territoria_error`` (``postgres/compat.py``) raises with SQLSTATE ``SQLSTATE`` and
  the hint as the error's own ``HINT`` field.
- Spark: ``raise_error`` raises the error condition ``USER_RAISED_EXCEPTION``, its message a
  parameter of the exception (``errorMessage``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from territoria.core.errors import DataError

#: put before the message by the DuckDB macro (ASCII record separators: no text of DuckDB's own)
MARKER = "\x1eterritoria\x1e"
#: DuckDB's prefix of an ``InvalidInputException``'s text
DUCKDB_PREFIX = "Invalid Input Error: "
#: the error function pack SQL calls, on the DuckDB engine's connection (temporary: never stored)
DUCKDB_ERROR_MACRO = (
    "CREATE OR REPLACE TEMP MACRO error(message) AS system.main.error(chr(30) || 'territoria' || chr(30) || message)"
)
#: what ``territoria_error`` raises on PostgreSQL (a class of SQLSTATEs PostgreSQL does not use)
SQLSTATE = "TT001"
#: Spark's error condition of ``raise_error``
SPARK_CONDITION = "USER_RAISED_EXCEPTION"
HINT_LINE = "\nhint: "


def _duckdb(exc: BaseException) -> str | None:
    text = str(exc)
    if isinstance(exc, duckdb.InvalidInputException) and text.startswith(DUCKDB_PREFIX + MARKER):
        return text[len(DUCKDB_PREFIX + MARKER) :]
    return None


def _postgres(exc: BaseException) -> tuple[str, str | None] | None:
    if getattr(exc, "sqlstate", None) != SQLSTATE:
        return None
    diag: Any = getattr(exc, "diag", None)
    message = getattr(diag, "message_primary", None) or str(exc).strip()
    return message, getattr(diag, "message_hint", None)


def _spark(exc: BaseException) -> str | None:
    condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    if condition is None or not type(exc).__module__.startswith("pyspark") or condition() != SPARK_CONDITION:
        return None
    parameters = exc.getMessageParameters() or {}  # type: ignore[attr-defined]  # a pyspark error, checked above
    message = parameters.get("errorMessage")
    return str(message) if message is not None else None


def pack_error(exc: BaseException) -> DataError | None:
    """The data error a pack's SQL raised on purpose, or None for any other error."""
    found = _postgres(exc)
    if found is None:
        raised = _duckdb(exc) or _spark(exc)
        found = (raised, None) if raised is not None else None
    if found is None:
        return None
    text, hint = found
    message, _, in_text = text.partition(HINT_LINE)
    return DataError(message.strip(), hint=hint or in_text.strip() or None, detail=f"{type(exc).__name__}: {exc}")


__all__ = ["DUCKDB_ERROR_MACRO", "MARKER", "SQLSTATE", "pack_error"]
