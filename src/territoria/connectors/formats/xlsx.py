"""XLSX workbooks, streamed with openpyxl's read-only mode into a text Parquet file.

Cells become text the way a CSV would carry them (numbers with a ``.`` decimal point, dates in
ISO 8601) so that the same Table Schema validates a producer's CSV and its spreadsheet.
Options: ``sheet`` (name, or 0-based position; the first sheet by default) and ``header_row``
(0-based row of the header; titles and notes above it are skipped). The line of a row is its
row number in the sheet.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from territoria.connectors.formats.base import RawRelation
from territoria.connectors.formats.compression import unwrap
from territoria.connectors.formats.csv import check_header
from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine, quote_ident, quote_literal, require

BATCH_ROWS = 50_000


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text if text else None


def _open(fh: BinaryIO) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # A file object, not the path: landed payloads have no .xlsx extension for openpyxl to check.
        return load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            hint="check the source's `format` (a .xls from before 2007 must be saved as .xlsx)",
        ) from exc


def _sheet(book: Any, options: dict[str, Any]) -> Any:
    wanted = options.get("sheet", 0)
    names = list(book.sheetnames)
    if isinstance(wanted, int):
        if not 0 <= wanted < len(names):
            raise ConfigError(f"the workbook has no sheet #{wanted}", hint=f"its sheets: {', '.join(names)}")
        return book[names[wanted]]
    if wanted not in names:
        raise ConfigError(f"the workbook has no sheet {wanted!r}", hint=f"its sheets: {', '.join(names)}")
    return book[wanted]


def _rows(sheet: Any, header_row: int) -> Iterator[tuple[int, list[str | None]]]:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > header_row:
            yield number, [cell_text(v) for v in row]


def read_xlsx(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    require(engine, "reads_files", "reading a landed spreadsheet (converted to Parquet first)")
    # an XLSX is itself a zip: only gzip and bz2 around it are taken off
    path, _ = unwrap(path, options, tmp_dir, zip_is_data=True)
    with path.open("rb") as fh:
        return _read(engine, fh, path.name, options, tmp_dir)


def _read(engine: Engine, fh: BinaryIO, name: str, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    header_row = int(options.get("header_row", 0))
    book = _open(fh)
    try:
        rows = _rows(_sheet(book, options), header_row)
        first = next(rows, None)
        if first is None:
            raise DataError(f"the sheet has no row {header_row + 1} (its header)", hint="check `read.header_row`")
        header = first[1]
        while header and header[-1] is None:
            header.pop()
        names = [h or "" for h in header]
        check_header(names, first[0])
        out = tmp_dir / f"{name}.xlsx.parquet"
        count = _write_parquet(rows, names, out)
    finally:
        book.close()
    if count == 0:
        raise DataError("the sheet has a header but no data rows", hint="check `read.sheet` and `read.header_row`")
    cols = ", ".join(quote_ident(n) for n in names)
    sql = f"(SELECT _line, {cols} FROM read_parquet({quote_literal(str(out))}))"
    return RawRelation(sql, [(n, "VARCHAR") for n in names], {"format": "xlsx", "sheet": options.get("sheet", 0)})


def _write_parquet(rows: Iterator[tuple[int, list[str | None]]], names: list[str], out: Path) -> int:
    schema = pa.schema([("_line", pa.int64()), *((n, pa.string()) for n in names)])
    width = len(names)
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        batch: list[tuple[int, list[str | None]]] = []
        for number, values in rows:
            if all(v is None for v in values):
                continue  # blank rows between blocks or after the data
            batch.append((number, (values + [None] * width)[:width]))
            if len(batch) >= BATCH_ROWS:
                count += _flush(writer, schema, batch)
        count += _flush(writer, schema, batch)
    return count


def _flush(writer: pq.ParquetWriter, schema: pa.Schema, batch: list[tuple[int, list[str | None]]]) -> int:
    if not batch:
        return 0
    columns = [pa.array([n for n, _ in batch], pa.int64())]
    columns += [pa.array([values[i] for _, values in batch], pa.string()) for i in range(len(schema) - 1)]
    writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    n = len(batch)
    batch.clear()
    return n
