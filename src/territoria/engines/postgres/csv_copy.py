"""``read_csv_relation`` for PostgreSQL: the file is parsed here and sent with COPY FROM STDIN.

Every column lands as text in a temporary table, in file order, as DuckDB's strict reader does:
an empty field is NULL, a line whose field count differs from the header's fails the scan, or
goes to the temporary ``rejects`` table (``line``, ``csv_line``, ``error_type``,
``error_message``, with DuckDB's line numbers and error types), or is skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from territoria.core.errors import DataError
from territoria.engines.base import quote_ident

REJECTS_COLUMNS = "line BIGINT, csv_line TEXT, error_type TEXT, error_message TEXT"


def _records(path: Path, delimiter: str, skip: int) -> Iterator[tuple[int, list[str] | None, str, str | None]]:
    """(first line number, fields or None, raw text, error type) of each record after ``skip`` lines."""
    with path.open("r", encoding="utf-8", newline="") as fh:
        for _ in range(skip):
            if not fh.readline():
                return
        line_no = skip
        while True:
            raw = fh.readline()
            if not raw:
                return
            line_no += 1
            start = line_no
            # a quoted field may hold line breaks: read on until the quotes balance
            while raw.count('"') % 2 == 1:
                more = fh.readline()
                if not more:
                    break
                raw += more
                line_no += 1
            text = raw.rstrip("\r\n")
            if not text:
                continue
            try:
                fields = next(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=True))
            except csv.Error:
                yield start, None, text, "UNQUOTED VALUE"
                continue
            yield start, fields, text, None


def copy_csv(
    con: psycopg.Connection[Any],
    path: Path,
    name: str,
    delimiter: str,
    columns: list[str],
    skip: int,
    rejects: str | None,
    skip_bad_lines: bool,
) -> None:
    spec = ", ".join(f"{quote_ident(c)} TEXT" for c in columns)
    con.execute(f"CREATE TEMP TABLE {quote_ident(name)} ({spec})")
    if rejects:
        con.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(rejects)}")
        con.execute(f"CREATE TEMP TABLE {quote_ident(rejects)} ({REJECTS_COLUMNS})")
    bad: list[tuple[int, str, str, str]] = []
    width = len(columns)
    try:
        with con.cursor().copy(f"COPY pg_temp.{quote_ident(name)} FROM STDIN") as copy:
            for line, fields, text, error in _records(path, delimiter, skip):
                if error is None and fields is not None and len(fields) == width:
                    copy.write_row([f if f != "" else None for f in fields])
                    continue
                if skip_bad_lines:
                    continue
                found = len(fields) if fields is not None else 0
                kind = error or ("TOO MANY COLUMNS" if found > width else "MISSING COLUMNS")
                message = (
                    f"Expected Number of Columns: {width} Found: {found}"
                    if error is None
                    else "Value with unterminated quote"
                )
                if not rejects:
                    raise DataError(f"line {line}: {message}", hint="check the separator and the quoting of the file")
                bad.append((line, text, kind, message))
    except UnicodeDecodeError as exc:
        if not rejects:
            raise DataError(f"the file is not UTF-8 text: {exc}") from exc
        bad.append((0, "", "INVALID ENCODING", str(exc)))
    if bad and rejects:
        with con.cursor().copy(f"COPY pg_temp.{quote_ident(rejects)} FROM STDIN") as copy:
            for row in bad:
                copy.write_row(row)
