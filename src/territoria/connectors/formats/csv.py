"""CSV as French producers publish it.

- separator ``;`` or ``,`` (or tab, ``|``) detected from the header line unless declared;
- UTF-8, UTF-8 with BOM or Windows-1252 detected; Windows-1252 is transcoded to UTF-8 in a
  streaming pass (DuckDB only reads UTF-8 and a Latin-1 that refuses ``€``, ``œ`` and ``’``);
- every column read as text: typing, decimal commas and secret markers (``s``, ``nd``...) are the
  job of the Table Schema validation, so a bad value lands in quarantine instead of failing the file;
- a line with more or fewer fields than the header goes to quarantine with its line number.

Bad payloads raise ``DataError`` with what to do: an HTML page served instead of CSV, an empty
file, a header with empty or duplicate names or no header at all, a file cut in the middle of a
line or of a quoted value, bytes that are not in the encoding, a wrong separator.

Options (``read:``): ``delimiter``, ``encoding`` (``auto``, ``utf-8``, ``cp1252``, ``latin-1``...),
``header_row`` (0-based line of the header), ``header: false`` with ``columns: [...]``,
``max_line_size`` (bytes, at most DuckDB's 2 MB: longer lines are quarantined unread, see
``csv_lines``), ``max_decompressed_bytes`` and ``member`` (gzip/bz2/zip, see ``compression``),
``header_map`` (file label -> column name, see ``base.apply_header_map``), ``select`` (the only
columns to read, after ``header_map``; a required one missing is the schema's error), and
``x``/``y`` (coordinate columns, decimal comma accepted) with ``crs`` to build a ``geom`` point
column in WGS84.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any, BinaryIO

from territoria.connectors.formats import csv_lines
from territoria.connectors.formats.base import RawRelation, Rejected, apply_header_map
from territoria.connectors.formats.compression import unwrap
from territoria.connectors.formats.csv_lines import DEFAULT_MAX_LINE, LineScan, LongLine
from territoria.connectors.formats.geo import geometry_policy, wgs84_select
from territoria.connectors.formats.spaces import SINGLE_BYTE, UTF8, SpaceWatch
from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine, quote_ident, quote_literal, require

SNIFF_BYTES = 1 << 16
DELIMITERS = [";", ",", "\t", "|"]
#: see ``csv_lines.READ_CHUNK``; the UTF-8 is written by 1 MiB (fewer system calls)
TRANSCODE_CHUNK = csv_lines.READ_CHUNK
WRITE_BUFFER = 1 << 20
#: reject errors that make the rest of the file unreliable, with what they mean
FATAL = {
    "UNQUOTED VALUE": "a quoted value is not closed (the file may be truncated)",
    "INVALID ENCODING": "bytes that are not valid {encoding}",
    "INVALID STATE": "a quote in the middle of a value",
}
#: beyond this share of ragged lines, the separator or the file is wrong, not a few lines
RAGGED_SHARE = 0.5
NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")
#: encodings (``codecs`` names) in which every ASCII byte is that character, alone: a run of ASCII
#: bytes reads the same in UTF-8 (see ``transcode_to_utf8``)
ASCII_COMPATIBLE = SINGLE_BYTE
ENCODING_ALIASES = {"windows-1252": "cp1252", "latin1": "latin-1", "iso-8859-1": "latin-1", "utf8": "utf-8"}


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


def normalise_encoding(name: str) -> str:
    lowered = name.strip().lower()
    lowered = ENCODING_ALIASES.get(lowered, lowered)
    try:
        codecs.lookup(lowered)
    except LookupError as exc:
        raise ConfigError(f"unknown encoding {name!r}", hint="use utf-8, cp1252 (Windows-1252) or latin-1") from exc
    return lowered


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in head or "<head" in head


def detect_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ";"


def transcode_to_utf8(
    src: Path, dest: Path, encoding: str, watch: SpaceWatch | None = None, lines: LineScan | None = None
) -> bool:
    """Write ``src`` as UTF-8; ``watch`` sees the bytes read, ``lines`` the bytes written. False,
    and nothing written, when ``src`` is plain ASCII in an encoding of ``ASCII_COMPATIBLE``: its
    bytes are already UTF-8 (then ``lines`` saw them all the same).

    In such an encoding a chunk of ASCII bytes is its own UTF-8 and goes out as it is
    (``bytes.isascii`` reads 16 KiB in about a microsecond, the codec took about 30); ``dest`` is
    only opened at the first chunk that is not ASCII, with the bytes before it copied as they are.
    Raises ``UnicodeDecodeError`` with ``start`` counted from the beginning of the file."""
    ascii_passes = codecs.lookup(encoding).name in ASCII_COMPATIBLE
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    fout: BinaryIO | None = None
    # bytes out, encoded here: a text-mode file's own encoding path took twice the CPU
    with src.open("rb") as fin, contextlib.ExitStack() as stack:
        while True:
            chunk = fin.read(TRANSCODE_CHUNK)
            if watch is not None:
                watch.feed(chunk)
            if ascii_passes and chunk.isascii():
                out = chunk
            else:
                try:
                    out = decoder.decode(chunk, final=not chunk).encode("utf-8")
                except UnicodeDecodeError as exc:
                    exc.start, exc.end = exc.start + done, exc.end + done
                    raise
                if fout is None:
                    fout = stack.enter_context(dest.open("wb", buffering=WRITE_BUFFER))
                    with src.open("rb") as head:
                        csv_lines.copy_bytes(head, fout, done)
            if lines is not None:
                lines.feed(out)
            if fout is not None:
                fout.write(out)
            if not chunk:
                return fout is not None
            done += len(chunk)


def _header(text: str, options: dict[str, Any]) -> tuple[list[str], str, int]:
    """Column names, delimiter, and how many lines precede the data."""
    header_row = int(options.get("header_row", 0))
    lines = text.splitlines()
    if options.get("header", True) is False:
        names = [str(c) for c in options.get("columns") or []]
        if not names:
            raise ConfigError("`read.header: false` needs `read.columns: [name, ...]`", hint="list the column names")
        first = lines[header_row] if len(lines) > header_row else ""
        return names, options.get("delimiter") or detect_delimiter(first), header_row
    if len(lines) <= header_row:
        raise DataError(f"the file has no header at line {header_row + 1}", hint="check `read.header_row`")
    header_line = lines[header_row].lstrip("\ufeff")
    delimiter = options.get("delimiter") or detect_delimiter(header_line)
    names = [n.strip() for n in next(csv.reader(io.StringIO(header_line), delimiter=delimiter))]
    check_header(names, header_row + 1)
    return apply_header_map(names, options), delimiter, header_row + 1


def check_header(names: list[str], line: int) -> None:
    numeric = [n for n in names if NUMBER.fullmatch(n)]
    if numeric:
        raise DataError(
            f"line {line} looks like data, not a header (values such as {', '.join(numeric[:3])}): "
            "the file seems to have no header line",
            hint="ask the producer for the header, or declare `read: {header: false, columns: [...]}`",
        )
    empty = [i + 1 for i, n in enumerate(names) if not n]
    if empty:
        raise DataError(
            f"the header has {len(empty)} column(s) without a name (position {', '.join(map(str, empty))})",
            hint="name every column in the header line, or remove trailing separators",
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"the header repeats column names: {', '.join(dupes)}", hint="give each column a distinct name")


def _readable(path: Path, encoding: str, tmp_dir: Path, watch: SpaceWatch, lines: LineScan) -> Path:
    """``path``, or its UTF-8 copy when it is in another encoding and not plain ASCII."""
    if encoding in UTF8:
        return path
    readable = tmp_dir / f"{path.name}.utf8.csv"
    try:
        transcoded = transcode_to_utf8(path, readable, encoding, watch, lines)
    except UnicodeDecodeError as exc:
        readable.unlink(missing_ok=True)
        raise DataError(
            f"the file is not valid {encoding} text ({exc.reason} at byte {exc.start})",
            hint="declare `read.encoding` in the source (utf-8, cp1252, latin-1...)",
        ) from exc
    return readable if transcoded else path


def read_csv(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    require(engine, "reads_files", "reading a landed CSV file")
    path, layers = unwrap(path, options, tmp_dir)
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        raise DataError("the file is empty", hint="check that the source published data; the previous version is kept")
    declared = str(options.get("encoding", "auto"))
    encoding = detect_encoding(sample) if declared == "auto" else normalise_encoding(declared)
    text = sample.decode(encoding, errors="replace")
    if looks_like_html(text):
        raise DataError(
            "the source returned an HTML page instead of CSV (an error or login page?)",
            hint="open the source URL in a browser to see the message; the previous version is kept",
        )
    names, delimiter, offset = _header(text, options)
    # the file's bytes are read once more here (transcoding or the long-line search): the watch
    # and the long-line search ride along
    spaces = SpaceWatch(encoding)
    limit = _max_line(options)
    lines = LineScan(limit)
    readable = _readable(path, encoding, tmp_dir, spaces, lines)
    as_it_is = encoding not in UTF8 and readable == path  # plain ASCII: not transcoded
    if encoding in UTF8:
        long_lines = csv_lines.find_long_lines(readable, limit, spaces.feed)
    else:
        long_lines = lines.long_lines(readable)
    if long_lines:
        # one field too many: DuckDB rejects the marker at the long line's own line number
        shortened = tmp_dir / f"{path.name}.short.csv"
        csv_lines.without_long_lines(readable, shortened, long_lines, delimiter.join(["#"] * (len(names) + 1)).encode())
        readable = shortened
    rejects = "_rejects_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    engine.execute(f"DROP TABLE IF EXISTS {rejects}")
    engine.execute(f"DROP TABLE IF EXISTS {rejects}_s")
    # The UTF-8 BOM is skipped along with the header line, so nothing special is needed for it.
    relation = engine.read_csv_relation(
        readable,
        delimiter=delimiter,
        columns=names,
        skip=offset,
        rejects=rejects,
        line_bytes=csv_lines.mean_line_bytes(readable),
    )
    kept = _kept_columns(names, options)
    cols = ", ".join(quote_ident(n) for n in kept)
    # read once by the validation (``validation/tableschema.py``), which fills the rejects table
    in_order = f"(SELECT {cols} FROM {relation})"
    notes: dict[str, Any] = {"encoding": encoding, "delimiter": delimiter, "columns": len(names)}
    if as_it_is:
        notes["transcoded"] = False
    if len(kept) < len(names):
        notes["columns_not_read"] = len(names) - len(kept)
    if layers:
        notes["compression"] = layers
    columns = [(n, "VARCHAR") for n in kept]
    if options.get("x") or options.get("y"):
        in_order = _with_point(engine, in_order, names, options, notes)
        columns.append(("geom", "GEOMETRY"))
    sql = f"(SELECT row_number() OVER () + {offset} AS _line, * FROM {in_order})"
    ends_with_newline = _ends_with_newline(path)

    def finish(eng: Engine, accepted: int) -> Rejected | None:
        return _rejected(eng, rejects, accepted, offset, encoding, ends_with_newline, (limit, long_lines))

    return RawRelation(
        sql,
        columns,
        notes,
        finish=finish,
        invalid_geometries=geometry_policy(options),
        in_file_order=in_order,
        line_offset=offset,
        unicode_spaces=spaces.found,
    )


def _with_point(engine: Engine, relation: str, names: list[str], options: dict[str, Any], notes: dict[str, Any]) -> str:
    x, y = options.get("x"), options.get("y")
    missing = [c for c in (x, y) if c not in names]
    if not x or not y or missing:
        raise ConfigError(
            f"`read.x` and `read.y` must name two columns of the file "
            f"(missing: {', '.join(map(str, missing)) or 'x/y'})",
            hint=f"the file's columns: {', '.join(names)}",
        )
    coord = "TRY_CAST(replace(trim({}), ',', '.') AS DOUBLE)"
    point = f"ST_Point({coord.format(quote_ident(x))}, {coord.format(quote_ident(y))})"
    base = f"(SELECT *, {point} AS geom FROM {relation})"
    select, geo = wgs84_select(engine, base, [("geom", "GEOMETRY")], options)
    notes["geometry"] = geo
    return f"(SELECT {select} FROM {base})"


def _kept_columns(names: list[str], options: dict[str, Any]) -> list[str]:
    """The columns handed to validation: all, or those ``read.select`` lists (a producer's wide
    file of which a source uses a few columns, such as Météo-France's station files)."""
    wanted = options.get("select")
    if wanted is None:
        return names
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise ConfigError("`read.select` must list column names", hint="e.g. `select: [NUM_POSTE, AAAAMMJJ, TN]`")
    return [n for n in names if n in wanted]


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 2))
        return fh.read().endswith(b"\n")


def _max_line(options: dict[str, Any]) -> int:
    value = options.get("max_line_size", DEFAULT_MAX_LINE)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= DEFAULT_MAX_LINE:
        raise ConfigError(
            f"`read.max_line_size` must be a number of bytes between 1 and {DEFAULT_MAX_LINE}, not {value!r}",
            hint="leave it out to use the largest line DuckDB reads",
        )
    return value


def _rejected(
    engine: Engine,
    table: str,
    accepted: int,
    offset: int,
    encoding: str,
    ends_with_newline: bool,
    long: tuple[int, list[LongLine]],
) -> Rejected | None:
    rows = engine.fetch_all(
        f"SELECT line, any_value(csv_line), list(DISTINCT CAST(error_type AS VARCHAR)), any_value(error_message) "
        f"FROM {table} GROUP BY line ORDER BY line"
    )
    if not rows:
        return None
    for line, _, kinds, message in rows:
        fatal = [k for k in kinds if k in FATAL]
        if fatal:
            raise DataError(
                f"line {line}: {FATAL[fatal[0]].format(encoding=encoding)} ({message})",
                hint=_fatal_hint(fatal[0], ends_with_newline),
            )
    limit, long_lines = long
    too_long = {x.line for x in long_lines} | {r[0] for r in rows if "LINE SIZE OVER MAXIMUM" in r[2]}
    ragged = len(rows) - len(too_long)
    last_line = rows[-1][0]
    if not ends_with_newline and accepted + offset < last_line and last_line not in too_long:
        raise DataError(
            f"the last line ({last_line}) is incomplete and the file does not end with a line break: "
            "the file looks truncated",
            hint="download it again; the previous version is kept",
        )
    if ragged > RAGGED_SHARE * (ragged + accepted):
        raise DataError(
            f"{ragged} of {ragged + accepted} lines do not have the header's number of fields",
            hint="check the separator (declare `read.delimiter`) and the header line (`read.header_row`)",
        )
    raw, errors = _reject_labels(limit, long_lines)
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {table}_lines AS SELECT line::BIGINT AS _line, "
        f"{raw} AS _raw, {errors} AS _errors, "
        f"(line - {offset}) - row_number() OVER (ORDER BY line) AS gap FROM {table} GROUP BY line"
    )
    fix = f"w._line + (SELECT count(*) FROM {table}_lines g WHERE g.gap < w._line - {offset})"
    reasons = {k: v for k, v in {"wrong number of fields": ragged, csv_lines.REASON: len(too_long)}.items() if v}
    return Rejected(f"{table}_lines", len(rows), fix, reasons)


def _reject_labels(limit: int, long_lines: list[LongLine]) -> tuple[str, str]:
    """SQL for the raw text and the errors of a rejected line (grouped by ``line``)."""
    generic = (
        "list(DISTINCT CASE WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line too long: ' "
        "ELSE 'wrong number of fields: ' END || error_message)"
    )
    if not long_lines:
        return "any_value(csv_line)", generic
    raw = " ".join(f"WHEN {x.line} THEN {quote_literal(x.head)}" for x in long_lines)
    errors = " ".join(f"WHEN {x.line} THEN [{quote_literal(csv_lines.label(limit, x))}]" for x in long_lines)
    return f"CASE line {raw} ELSE any_value(csv_line) END", f"CASE line {errors} ELSE {generic} END"


def _fatal_hint(kind: str, ends_with_newline: bool) -> str:
    if kind == "INVALID ENCODING":
        return "declare `read.encoding` in the source (cp1252 for Windows files, latin-1...)"
    if kind == "UNQUOTED VALUE" and not ends_with_newline:
        return "the file looks cut short: download it again; the previous version is kept"
    return "fix the file's quoting (a double quote inside a value must be doubled); the previous version is kept"
