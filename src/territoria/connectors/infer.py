"""Propose a Table Schema from what a source publishes: typed JSON values, CSV text, portal fields.

The proposal is a starting point for a human to review (``territoria sources add``): codes
(INSEE, IRIS, SIREN...) stay strings even when they look numeric, decimal commas are declared,
and the secrecy markers French producers use (``s``, ``nd``...) are declared as secret values.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from territoria.connectors.formats.csv import looks_like_html
from territoria.core.errors import DataError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
INTEGER = re.compile(r"^-?\d+$")
NUMBER_DOT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
NUMBER_COMMA = re.compile(r"^-?\d+(,\d+)?$")
DATE_FR = re.compile(r"^\d{2}/\d{2}/\d{4}$")
NUMBER_FR = re.compile(r"^-?\d{1,3}([ \u00a0\u202f]\d{3})+(,\d+)?$")
SECRET_MARKERS = ("s", "nd", "ns", "so", "secret", "nc")
CODE_NAMES = re.compile(r"(^|_)(code|insee|iris|siren|siret|cog|id|codgeo|depcom|com|dep|reg|epci|cp)(_|$)", re.I)
#: French identifiers: (kind, column-name words, value pattern, Table Schema format or None).
#: A column is such a code when its name says so AND its values have the shape; leading zeros
#: (01001) and Corsica (2A004) are why they must stay strings.
FRENCH_CODES = (
    ("siret", re.compile(r"siret"), "[0-9]{14}", None),
    ("siren", re.compile(r"siren|epci"), "[0-9]{9}", None),
    ("iris", re.compile(r"iris"), "[0-9][0-9AB][0-9]{7}", "insee-iris"),
    ("postal", re.compile(r"postal|(^|_)cp($|_)|code_post"), "[0-9]{5}", None),
    ("commune", re.compile(r"commune|insee|codgeo|depcom|(^|_)com($|_)|cog"), "[0-9][0-9AB][0-9]{3}", "insee-commune"),
    ("departement", re.compile(r"(^|_)dep($|_)|departement"), "[0-9]{2}|2[AB]|97[0-9]", None),
)

#: Opendatasoft field types -> Table Schema types
ODS_TYPES = {
    "text": "string",
    "int": "integer",
    "double": "number",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "geo_point_2d": "string",
    "geo_shape": "string",
    "file": "string",
}
#: Table Schema types territoria validates; others are read as strings
KNOWN_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "year", "yearmonth", "any", "object"}
CONSTRAINTS = ("required", "unique", "minimum", "maximum", "minLength", "maxLength", "pattern", "enum")


def normal_name(name: str) -> str:
    """``"Code Commune"`` -> ``code_commune``: names are matched without case, accents or spaces."""
    folded = unicodedata.normalize("NFKD", name.lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def _is_code(name: str) -> bool:
    return bool(CODE_NAMES.search(normal_name(name)))


def french_code(name: str, values: list[str]) -> dict[str, Any] | None:
    """The string field of a French identifier column, with its pattern, or None."""
    key = normal_name(name)
    for _kind, words, pattern, fmt in FRENCH_CODES:
        if words.search(key) and values and all(re.fullmatch(pattern, v) for v in values):
            field: dict[str, Any] = {"type": "string", "constraints": {"pattern": pattern}}
            if fmt:
                field["format"] = fmt
            return field
    return None


def json_type(values: Iterable[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string"
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "integer"
    if kinds <= {int, float}:
        return "number"
    if kinds <= {dict, list}:
        return "object"
    if kinds <= {str}:
        texts = [v for v in values if isinstance(v, str)]
        if all(DATE.match(t) for t in texts):
            return "date"
        if all(DATETIME.match(t) for t in texts):
            return "datetime"
    return "string"


def schema_from_records(rows: list[dict[str, Any]]) -> dict[str, Any]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    fields = []
    for name in names:
        values = [row.get(name) for row in rows]
        typ = "string" if _is_code(name) and json_type(values) == "integer" else json_type(values)
        fields.append({"name": name, "type": typ})
    return {"fields": fields}


def _text_field(name: str, values: list[str]) -> dict[str, Any]:
    present = [v.strip() for v in values if v.strip()]
    secret = sorted({v for v in present if v.lower() in SECRET_MARKERS})
    rest = [v for v in present if v.lower() not in SECRET_MARKERS]
    field: dict[str, Any] = {"name": name, "type": "string"}
    if code := french_code(name, rest):
        field.update(code)
    elif not rest or _is_code(name) or any(v.startswith("0") and len(v) > 1 and INTEGER.match(v) for v in rest):
        pass
    elif all(INTEGER.match(v) for v in rest):
        field["type"] = "integer"
    elif all(NUMBER_DOT.match(v) for v in rest):
        field["type"] = "number"
    elif all(NUMBER_COMMA.match(v) for v in rest):
        field.update(type="number", decimalChar=",")
    elif all(NUMBER_COMMA.match(v) or NUMBER_FR.match(v) for v in rest):
        # "1 234,5": a space (or a no-break space) groups the thousands
        group = next(c for v in rest for c in v if c in " \u00a0\u202f")
        field.update(type="number", decimalChar=",", groupChar=group)
    elif all(DATE.match(v) for v in rest):
        field["type"] = "date"
    elif all(DATE_FR.match(v) for v in rest):
        field.update(type="date", format="%d/%m/%Y")
    elif all(DATETIME.match(v) for v in rest):
        field["type"] = "datetime"
    if secret and field["type"] in ("integer", "number", "date"):
        field["secretValues"] = secret
    return field


def schema_from_csv(sample: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, reader options) from the first bytes of a CSV file."""
    encoding = "utf-8-sig" if sample.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample's end is fine; anything earlier is not UTF-8
        if exc.start < len(sample) - 4:
            encoding, text = "cp1252", sample.decode("cp1252", "replace")
        else:
            text = sample[: exc.start].decode(encoding)
    _check_sample(sample)
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]  # the sample's last line is probably cut
    header = lines[0] if lines else ""
    delimiter = max(";,\t|", key=header.count) if header else ";"
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    names, body = (rows[0], rows[1:]) if rows else ([], [])
    if not body:
        raise DataError(
            "the file has a header but no data row: there is nothing to infer types from",
            hint="propose the source once the producer publishes rows, or write its schema by hand",
        )
    fields = [_text_field(name, [r[i] for r in body if i < len(r)]) for i, name in enumerate(names)]
    read: dict[str, Any] = {"delimiter": delimiter}
    if encoding == "cp1252":
        read["encoding"] = "cp1252"
    return {"fields": fields}, read


def refuse_non_data(sample: bytes) -> None:
    """Refuse an empty file or an HTML page: a source proposed from it would never run."""
    if not sample.strip():
        raise DataError("the file is empty", hint="check the URL or path: there is nothing to infer a schema from")
    if looks_like_html(sample[:2048].decode("utf-8", "replace")):
        raise DataError(
            "the address serves an HTML page, not a data file (a portal page, an error or a login page?)",
            hint="open it in a browser and copy the link of the file itself (CSV, GeoJSON, Parquet...)",
        )


def _check_sample(sample: bytes) -> None:
    refuse_non_data(sample)
    if b"\x00" in sample[:4096]:
        raise DataError(
            "the file is binary, not CSV text (a spreadsheet, a PDF or an archive?)",
            hint="point at the CSV itself, or name the format by the file's extension (.xlsx, .parquet...)",
        )


def schema_from_ods(fields: list[dict[str, Any]]) -> dict[str, Any]:
    out = []
    for f in fields:
        typ = ODS_TYPES.get(str(f.get("type")), "string")
        if typ == "integer" and _is_code(str(f.get("name"))):
            typ = "string"
        entry: dict[str, Any] = {"name": f["name"], "type": typ}
        if f.get("label") and f["label"] != f["name"]:
            entry["title"] = f["label"]
        if f.get("description"):
            entry["description"] = f["description"]
        out.append(entry)
    return {"fields": out}


def schema_from_table_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """A published Table Schema (schema.data.gouv.fr), restricted to what territoria validates."""
    fields = []
    for f in doc.get("fields") or []:
        if not isinstance(f, dict) or not f.get("name"):
            continue
        typ = f.get("type", "string") if f.get("type", "string") in KNOWN_TYPES else "string"
        entry: dict[str, Any] = {"name": f["name"], "type": typ}
        for key in ("title", "description", "format"):
            if f.get(key) and not (key == "format" and (typ == "string" or f[key] == "default")):
                entry[key] = f[key]
        constraints = {k: v for k, v in (f.get("constraints") or {}).items() if k in CONSTRAINTS}
        if constraints:
            entry["constraints"] = constraints
        fields.append(entry)
    schema: dict[str, Any] = {"fields": fields}
    for key in ("primaryKey", "missingValues"):
        if doc.get(key):
            schema[key] = doc[key]
    return schema


def schema_from_pg(columns: list[tuple[str, str]]) -> dict[str, Any]:
    types = {
        "int2": "integer",
        "int4": "integer",
        "int8": "integer",
        "float4": "number",
        "float8": "number",
        "numeric": "number",
        "bool": "boolean",
        "date": "date",
        "timestamp": "datetime",
        "timestamptz": "datetime",
        "geometry": "geometry",
        "geography": "geometry",
    }
    return {"fields": [{"name": n, "type": types.get(t, "string")} for n, t in columns]}
