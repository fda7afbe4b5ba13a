"""Table Schema fields compiled to SQL expressions: the text value, the typed value, the checks.

Everything here is a pure string builder; ``tableschema`` assembles the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from territoria.catalog.model import Field, TableSchema
from territoria.engines.base import quote_ident, quote_literal
from territoria.reference.referential import data_dir

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "year": "INTEGER",
    "yearmonth": "VARCHAR",
    "geometry": "GEOMETRY",
    "any": "VARCHAR",
    "object": "VARCHAR",
}
TEXTUAL = ("string", "any", "object", "yearmonth")
#: Table Schema ``format`` of a code field checked against the shipped referential -> the code's
#: length that names the commune (an IRIS code starts with its commune's)
REFERENCE_CODES = {"insee-commune": 5, "insee-iris": 5}


@dataclass
class FieldSQL:
    """The expressions of one column, named so that the outer query can reuse them."""

    #: (alias, expression) computed once per row in the inner query
    inner: list[tuple[str, str]] = field(default_factory=list)
    #: (alias, expression) of the outer query, over the inner aliases
    outer: list[tuple[str, str]] = field(default_factory=list)
    #: (condition, label): the row is invalid when the condition is true
    checks: list[tuple[str, str]] = field(default_factory=list)
    #: condition counting a repaired geometry
    repaired: str | None = None
    #: a check looks values up in another table: a join, after which rows are not in the scan's order
    joins: bool = False


def one_of(expr: str, values: Sequence[Any]) -> str:
    """Whether ``expr`` is one of ``values`` (false when it is NULL). Not ``expr IN (...)``: DuckDB
    turns an ``IN`` list of five values or more into a join, which does not keep the rows in the
    scan's order, and a validated file's lines are numbered from that order (``tableschema``)."""
    if not values:
        return "false"
    whens = " ".join(f"WHEN {quote_literal(str(v))} THEN true" for v in values)
    return f"CASE {expr} {whens} ELSE false END"


def is_text(raw_type: str) -> bool:
    return raw_type.upper() == "VARCHAR"


def trimmed(col: str, unicode_spaces: bool = True) -> str:
    """The text of ``col`` without its leading and trailing spaces. ``trim`` copies every value (a
    third of a CSV's typed scan); when the reader saw no non-ASCII space in the file, only the
    values that start or end with ' ' go through it."""
    c = quote_ident(col)
    if unicode_spaces:
        return f"trim({c})"
    return f"CASE WHEN {c} LIKE ' %' OR {c} LIKE '% ' THEN trim({c}) ELSE {c} END"


def text_value(col: str, nulls: Sequence[str], unicode_spaces: bool = True) -> str:
    """Trimmed text with the missing (and secret) markers turned into NULL."""
    trimmed_text = trimmed(col, unicode_spaces)
    if not nulls:
        return trimmed_text
    if list(nulls) == [""]:
        return f"nullif({trimmed_text}, '')"
    return f"CASE WHEN {one_of(trimmed_text, nulls)} THEN NULL ELSE {trimmed_text} END"


def typed_value(v: str, f: Field) -> str:
    """``v`` (text, NULL when missing) cast to the field's type, NULL when it does not parse."""
    target = SQL_TYPES[f.type]
    if f.type in ("number", "integer"):
        expr = v
        if f.groupChar:
            expr = f"replace(replace({expr}, {quote_literal(f.groupChar)}, ''), '\u00a0', '')"
        if f.type == "number" and f.decimalChar != ".":
            expr = f"replace({expr}, {quote_literal(f.decimalChar)}, '.')"
        if f.type == "integer":
            # DuckDB rounds '12.5' to 12 when casting text to BIGINT: a fraction is a type error here.
            return f"CASE WHEN strpos({expr}, '.') = 0 THEN TRY_CAST({expr} AS {target}) END"
        return f"TRY_CAST({expr} AS {target})"
    if f.type == "boolean":
        return f"CASE WHEN {one_of(v, f.trueValues)} THEN true WHEN {one_of(v, f.falseValues)} THEN false END"
    if f.type in ("date", "datetime") and f.format not in (None, "default", "any"):
        # ISO values still parse (spreadsheet dates arrive as ISO text).
        parsed = f"CAST(TRY_STRPTIME({v}, {quote_literal(f.format)}) AS {target})"
        return f"coalesce({parsed}, TRY_CAST({v} AS {target}))"
    if f.type == "year":
        # cheaper than a regular expression on every row: at most 4 digits, no fraction
        return f"CASE WHEN length({v}) <= 4 AND strpos({v}, '.') = 0 THEN TRY_CAST({v} AS INTEGER) END"
    if f.type == "geometry":
        return f"TRY(ST_GeomFromText({v}))"
    if f.type in TEXTUAL:
        return v
    return f"TRY_CAST({v} AS {target})"


def geometry_sql(alias: str, expr: str, policy: str, label: str) -> FieldSQL:
    """Validity of a geometry: repaired with ST_MakeValid (and counted) or quarantined."""
    out = FieldSQL(inner=[(alias, expr)])
    g = quote_ident(alias)
    invalid = f"({g} IS NOT NULL AND NOT ST_IsValid({g}))"
    if policy == "repair":
        out.outer.append((alias, f"CASE WHEN {invalid} THEN ST_MakeValid({g}) ELSE {g} END"))
        out.repaired = invalid
    else:
        out.outer.append((alias, g))
        out.checks.append((invalid, f"{label}: invalid geometry"))
    return out


def field_sql(
    f: Field, schema: TableSchema, raw_type: str | None, policy: str, unicode_spaces: bool = True
) -> FieldSQL:
    """The expressions validating field ``f``; ``raw_type`` is None when the file lacks the column;
    ``unicode_spaces`` as ``RawRelation`` says."""
    name = f.name
    target = SQL_TYPES[f.type]
    if raw_type is None:
        out = FieldSQL(outer=[(name, f"CAST(NULL AS {target})")])
        if f.secretValues:
            out.outer.append((name + "_secret", "false"))
        return out
    v_alias, t_alias = f"_v_{name}", f"_t_{name}"
    v_ref = quote_ident(v_alias)
    if is_text(raw_type):
        v = text_value(name, list(schema.missingValues) + list(f.secretValues), unicode_spaces)
        typed = v_ref if f.type in TEXTUAL else typed_value(v_ref, f)
    else:
        # Typed input (Parquet, GeoJSON...): missing markers do not apply, the engine's cast decides.
        v = quote_ident(name)
        same = raw_type.upper() == target or (f.type == "geometry" and raw_type.upper().startswith("GEOMETRY"))
        typed = v_ref if same else f"TRY_CAST({v_ref} AS {target})"
    if f.type == "geometry":
        out = geometry_sql(t_alias, typed, policy, name)
        out.inner.insert(0, (v_alias, v))
        out.outer = [(name, out.outer[0][1])]
    else:
        out = FieldSQL(inner=[(v_alias, v), (t_alias, typed)], outer=[(name, quote_ident(t_alias))])
    if f.secretValues:
        secret = one_of(trimmed(name, unicode_spaces), f.secretValues)
        out.inner.append((name + "_secret", secret if is_text(raw_type) else "false"))
        out.outer.append((name + "_secret", quote_ident(name + "_secret")))
    out.checks.extend(constraint_checks(f, quote_ident(v_alias), quote_ident(t_alias), raw_type))
    out.joins = f.format in REFERENCE_CODES
    return out


def constraint_checks(f: Field, v: str, t: str, raw_type: str) -> list[tuple[str, str]]:
    c = f.constraints
    checks: list[tuple[str, str]] = []
    if f.type not in TEXTUAL:
        checks.append((f"{v} IS NOT NULL AND {t} IS NULL", f"type-error (expected {f.type})"))
    if c.required:
        masked = f" AND NOT {quote_ident(f.name + '_secret')}" if f.secretValues else ""
        checks.append((f"{v} IS NULL{masked}", "required"))
    if c.enum:
        checks.append((f"{t} IS NOT NULL AND NOT {one_of(f'CAST({t} AS VARCHAR)', c.enum)}", "enum"))
    if c.minimum is not None:
        checks.append((f"{t} < {_bound(c.minimum, f)}", f"minimum {c.minimum}"))
    if c.maximum is not None:
        checks.append((f"{t} > {_bound(c.maximum, f)}", f"maximum {c.maximum}"))
    text = v if is_text(raw_type) else f"CAST({v} AS VARCHAR)"
    if c.minLength is not None:
        checks.append((f"length({text}) < {int(c.minLength)}", f"minLength {c.minLength}"))
    if c.maxLength is not None:
        checks.append((f"length({text}) > {int(c.maxLength)}", f"maxLength {c.maxLength}"))
    if c.pattern:
        checks.append((f"NOT regexp_full_match({text}, {quote_literal(c.pattern)})", "pattern"))
    if f.format in REFERENCE_CODES:
        checks.append(reference_check(f.format, text))
    return [(cond, f"{f.name}: {label}") for cond, label in checks]


def reference_check(fmt: str, text: str) -> tuple[str, str]:
    """A code that is not a commune of the referential's vintage: a typo, a merged commune, or
    a placeholder such as 99999 that would otherwise be published as a place."""
    communes = quote_literal(str(data_dir() / "communes.parquet"))
    code = f"upper(left({text}, {REFERENCE_CODES[fmt]}))"
    unknown = f"{code} NOT IN (SELECT code FROM read_parquet({communes}))"
    if fmt == "insee-iris":
        return f"{text} IS NOT NULL AND ({unknown} OR length({text}) <> 9)", "unknown IRIS code"
    return f"{text} IS NOT NULL AND {unknown}", "unknown commune code"


def _bound(value: float | str, f: Field) -> str:
    if isinstance(value, str):
        return f"CAST({quote_literal(value)} AS {SQL_TYPES[f.type]})"
    if f.type in ("integer", "year") and float(value).is_integer():
        # ``0.0`` is a DECIMAL literal: an integer column compared with it was cast to DECIMAL(20,1),
        # a 128-bit number, row by row (3 % of the CPU of the CSV bench's ingest for one minimum)
        return str(int(value))
    return repr(float(value))
