"""Built-in table formats: CSV (French and standard), GeoJSON, Parquet and XLSX.

``csv`` is the French convention spreadsheet users expect (``;``, decimal comma, UTF-8 with
BOM, ``oui``/``non``, the Table Schema's French titles as headers, a text cell Excel would run
as a formula prefixed with an apostrophe); ``csv-std`` is RFC 4180
with a dot and the column names (default file ``DATASET.std.csv``, beside ``DATASET.csv``);
both write floats without binary noise, rounded to the decimals a dataset declares.
``geojson`` joins the boundaries when the dataset has a ``code`` column and no geometry;
``parquet`` keeps types (GeoParquet when there is a geometry); ``xlsx`` is a sheet a French
reader opens as is (typed cells, French number formats).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from territoria.core.errors import UserError
from territoria.engines.base import quote_ident, quote_literal, require
from territoria.publication.formats import ExportFormat, ExportJob

#: an Excel sheet holds 1,048,576 rows, the header included
XLSX_MAX_ROWS = 1_048_575
#: how a text cell starts that Excel reads as a formula when it opens a CSV (OWASP's list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: SQL for one apostrophe, the prefix that makes Excel read a cell as text
APOSTROPHE = "chr(39)"


def _defused(expr: str) -> str:
    """A text cell of the French CSV (the file people open in Excel) that Excel would evaluate
    (``=HYPERLINK(...)`` from a source's cell) gets a leading apostrophe, which makes it text; a
    lone ``-`` or ``=`` is left as it is (Excel shows it as text)."""
    starts = ", ".join(quote_literal(c) for c in FORMULA_STARTS)
    return f"CASE WHEN length({expr}) > 1 AND left({expr}, 1) IN ({starts}) THEN {APOSTROPHE} || {expr} ELSE {expr} END"


def _defused_header(title: str) -> str:
    return "'" + title if len(title) > 1 and title.startswith(FORMULA_STARTS) else title


def _decimal(typ: str) -> bool:
    upper = typ.upper()
    return upper in ("DOUBLE", "FLOAT", "REAL") or upper.startswith("DECIMAL")


def _as_text_geometry(job: ExportJob, select: str) -> str:
    geom = job.geometry
    if geom is None:
        return select
    return f"SELECT * REPLACE (ST_AsText({quote_ident(geom)}) AS {quote_ident(geom)}) FROM ({select})"


def _number_text(job: ExportJob, column: str) -> str:
    """A float column as the shortest text that reads back the same value at 15 significant
    digits (``22543.895``, never ``22543.894999999997``; a count ``451``, not ``451.0``),
    rounded first to the decimals the dataset declares."""
    value = f"CAST({quote_ident(column)} AS DOUBLE)"
    if column in job.decimals:
        value = f"round({value}, {int(job.decimals[column])})"
    return f"format('{{:.15g}}', {value})"


def _csv_select(job: ExportJob, *, french: bool) -> str:
    """The rows as text columns: numbers without binary noise; in French, decimal comma,
    ``oui``/``non`` and the Table Schema's titles as headers."""
    exprs = []
    for column, typ in job.columns:
        expr, upper = quote_ident(column), typ.upper()
        if column == job.geometry:
            expr = f"ST_AsText({expr})"
        elif _decimal(typ):
            expr = f"replace({_number_text(job, column)}, '.', ',')" if french else _number_text(job, column)
        elif french and upper == "BOOLEAN":
            expr = f"CASE WHEN {expr} THEN 'oui' WHEN NOT {expr} THEN 'non' END"
        elif french and upper == "VARCHAR":  # DuckDB's types, on every engine (local_export)
            expr = _defused(expr)
        header = _defused_header(job.titles.get(column, column)) if french else column
        exprs.append(f"{expr} AS {quote_ident(header)}")
    return f"SELECT {', '.join(exprs)} FROM ({job.select})"


def write_csv_fr(job: ExportJob) -> None:
    tmp = job.dest.with_name(job.dest.name + ".part")
    job.engine.copy_to(_csv_select(job, french=True), tmp, "CSV", {"HEADER": "true", "DELIMITER": ";"})
    with job.dest.open("wb") as out, tmp.open("rb") as fh:
        out.write(b"\xef\xbb\xbf")
        while chunk := fh.read(1 << 20):
            out.write(chunk)
    tmp.unlink()


def write_csv_std(job: ExportJob) -> None:
    job.engine.copy_to(_csv_select(job, french=False), job.dest, "CSV", {"HEADER": "true", "DELIMITER": ","})


#: the widest DECIMAL GDAL writes ("only precision up to 19"); a JSON number is a double anyway
GDAL_DECIMAL_DIGITS = 18


def _gdal_numbers(job: ExportJob, select: str) -> str:
    """The rows with the numbers GDAL cannot write made ones it can: a wide DECIMAL (an exact sum
    of a pack, DECIMAL(38, 6)) as a DOUBLE, a HUGEINT (DuckDB's sum of BIGINTs) as a BIGINT.
    Before, the GeoJSON export of such a dataset ended in a traceback."""
    casts = []
    for column, typ in job.columns:
        upper = typ.upper().replace(" ", "")
        digits = upper[len("DECIMAL(") :].split(",")[0] if upper.startswith("DECIMAL(") else ""
        if digits.isdigit() and int(digits) > GDAL_DECIMAL_DIGITS:
            casts.append(f"CAST({quote_ident(column)} AS DOUBLE) AS {quote_ident(column)}")
        elif upper in ("HUGEINT", "UHUGEINT", "INT128"):
            casts.append(f"CAST({quote_ident(column)} AS BIGINT) AS {quote_ident(column)}")
    return f"SELECT * REPLACE ({', '.join(casts)}) FROM ({select})" if casts else select


def write_geojson(job: ExportJob) -> None:
    select = job.select
    if job.geometry is None:
        select = f"SELECT d.*, b.geometry FROM {job.relation} d LEFT JOIN {job.boundaries} b USING (code){job.order_by}"
    require(job.engine, "spatial", "a GeoJSON export (GDAL)")
    job.engine.copy_to(_gdal_numbers(job, select), job.dest, "GDAL", {"DRIVER": "GeoJSON"})


class _Struct:
    """A DuckDB struct literal, rendered as is in a COPY option (``KV_METADATA``)."""

    def __init__(self, items: dict[str, str]) -> None:
        self.sql = "{" + ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in items.items()) + "}"

    def __str__(self) -> str:
        return self.sql


def write_parquet(job: ExportJob) -> None:
    options: dict[str, Any] = {"COMPRESSION": "zstd"}
    if job.metadata:  # the provenance travels with the file (synthetic or not, producers, licences)
        options["KV_METADATA"] = _Struct(dict(job.metadata))
    job.engine.copy_to(job.select, job.dest, "PARQUET", options)


def _xlsx_format(typ: str) -> str | None:
    """The cell number format of a column type: what Excel shows in a French locale."""
    upper = typ.upper()
    if upper == "DATE":
        return "DD/MM/YYYY"
    if upper.startswith("TIMESTAMP"):
        return "DD/MM/YYYY HH:MM:SS"
    if _decimal(typ):
        return "#,##0.##########"  # separators follow the reader's locale: 1 234,5 in French
    if "INT" in upper:
        return "0"
    return None


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; the value stays UTC
    if isinstance(value, (bytes, list, dict)):
        return str(value)
    return value


def write_xlsx(job: ExportJob) -> None:
    from openpyxl import Workbook  # imported on use: the API and the runner never need it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    total = int(job.engine.fetch_all(f"SELECT count(*) FROM {job.relation}")[0][0])
    if total > XLSX_MAX_ROWS:
        raise UserError(
            f"dataset {job.dataset!r} has {total} rows, more than an Excel sheet holds",
            hint="export it as csv or parquet",
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(job.dataset[:31])  # Excel limits a sheet name to 31 characters
    sheet.freeze_panes = "A2"
    names = [c for c, _ in job.columns]
    for i, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(name) + 2))
    bold = Font(bold=True)
    header = []
    for name in names:
        cell = _cell(sheet, name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    number_formats = [_xlsx_format(t) for _, t in job.columns]
    for batch in job.engine.stream_batches(_as_text_geometry(job, job.select)):
        for row in batch.to_pylist():
            cells = []
            for value, number_format in zip(row.values(), number_formats, strict=True):
                cell = _cell(sheet, _xlsx_value(value))
                if number_format and isinstance(value, (int, float, Decimal, date)):
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
    book.save(job.dest)


def _cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl takes a string starting with "=" for a formula, which Excel would evaluate:
        # data (a source's cell or header) is text
        cell.data_type = "s"
    return cell


CSV_FR = ExportFormat(
    "csv",
    "text/csv; charset=utf-8",
    "csv",
    "French spreadsheet CSV (`;`, decimal comma, oui/non, French headers, UTF-8 with BOM)",
    write_csv_fr,
)
CSV_STD = ExportFormat(
    "csv-std", "text/csv; charset=utf-8", "std.csv", "RFC 4180 CSV (`,`, decimal dot)", write_csv_std
)
GEOJSON = ExportFormat(
    "geojson",
    "application/geo+json",
    "geojson",
    "GeoJSON features (boundaries joined on `code` when the dataset has no geometry)",
    write_geojson,
    needs_geometry=True,
)
PARQUET = ExportFormat(
    "parquet",
    "application/vnd.apache.parquet",
    "parquet",
    "Parquet with types (GeoParquet with a geometry)",
    write_parquet,
)
XLSX = ExportFormat(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Excel workbook, typed cells with French number formats",
    write_xlsx,
)
