"""CSV as French producers publish it.

- separator ``;`` or ``,`` (or tab, ``|``) detected from the header line unless declared;
- UTF-8, UTF-8 with BOM or Windows-1252 detected; Windows-1252 is transcoded to UTF-8 in a
  streaming pass (DuckDB only reads UTF-8 and Latin-1, and Latin-1 gets ``€``, ``œ`` and ``’``
  wrong);
- every column read as text: typing, decimal commas and secret markers are the job of the
  Table Schema validation, so a bad value lands in quarantine instead of failing the file.

Bad payloads raise ``DataError`` with what to do: an HTML page served instead of CSV, an
empty file, a header with empty or duplicate names, a truncated last line.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

from territoria.connectors.formats.base import RawRelation
from territoria.core.errors import DataError
from territoria.engines.base import Engine, quote_ident

SNIFF_BYTES = 1 << 16
DELIMITERS = [";", ",", "\t", "|"]


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a multi-byte character cut by the sample's end is not an error
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in head or "<head" in head


def detect_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ";"


def transcode_to_utf8(src: Path, dest: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with src.open("rb") as fin, dest.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(1 << 22):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


def read_csv(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        raise DataError("the file is empty", hint="check that the source published data; the previous version is kept")
    encoding = options.get("encoding", "auto")
    if encoding == "auto":
        encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    if looks_like_html(text):
        raise DataError(
            "the source returned an HTML page instead of CSV (an error or login page?)",
            hint="open the source URL in a browser to see the message; the previous version is kept",
        )
    header_row = int(options.get("header_row", 0))
    lines = text.splitlines()
    if len(lines) <= header_row:
        raise DataError(f"the file has no header at line {header_row + 1}", hint="check `read.header_row`")
    header_line = lines[header_row].lstrip("\ufeff")
    delimiter = options.get("delimiter") or detect_delimiter(header_line)
    names = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    names = [n.strip() for n in names]
    empty = [i + 1 for i, n in enumerate(names) if not n]
    if empty:
        raise DataError(
            f"the header has {len(empty)} column(s) without a name (position {', '.join(map(str, empty))})",
            hint="name every column in the first line, or remove trailing separators",
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"the header repeats column names: {', '.join(dupes)}", hint="give each column a distinct name")

    readable = path
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = tmp_dir / f"{path.name}.utf8.csv"
        try:
            transcode_to_utf8(path, readable, encoding)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"the file is not valid {encoding} text (byte {exc.start})",
                hint="declare `read.encoding` in the source (utf-8, cp1252, latin-1...)",
            ) from exc
    # The UTF-8 BOM is skipped along with the header line, so nothing special is needed for it.
    relation = engine.read_csv_relation(readable, delimiter=delimiter, columns=names, skip=header_row + 1)
    cols = ", ".join(quote_ident(n) for n in names)
    sql = f"(SELECT row_number() OVER () + {header_row + 1} AS _line, {cols} FROM {relation})"
    notes = {"encoding": encoding, "delimiter": delimiter, "columns": len(names)}
    return RawRelation(sql, [(n, "VARCHAR") for n in names], notes)
