"""Validate raw rows against a Frictionless Table Schema, inside the engine.

frictionless validates about 30,000 rows/s in Python; the same checks compiled to one SQL
statement run at engine speed, which is what large utility files need. Every check a row fails
is listed (``"<field>: <error-type>"``) and the row goes to the quarantine table with its raw
values and line number; valid rows are typed and go to staging. Nothing is dropped.

Supported: types string, integer, number (``decimalChar``, ``groupChar``), boolean
(``trueValues``/``falseValues``), date/datetime (ISO or ``format`` with strptime patterns),
year, geometry, any; constraints required, unique, minimum, maximum, minLength, maxLength,
pattern, enum; ``primaryKey``; ``missingValues``; and the territoria extension
``secretValues`` (``s``, ``nd``...): the typed value is null and ``<field>_secret`` is true.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from territoria.catalog.model import Field, TableSchema
from territoria.connectors.formats.base import RawRelation
from territoria.core.errors import DataError
from territoria.core.suggest import did_you_mean
from territoria.engines.base import Engine, quote_ident, quote_literal

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


@dataclass
class ValidationOutcome:
    staging_sql: str
    quarantine_sql: str
    warnings: list[str] = field(default_factory=list)
    work_table: str = ""

    def report(self, engine: Engine) -> dict[str, Any]:
        total, bad = engine.fetch_all(
            f"SELECT count(*), count(*) FILTER (WHERE len(_errors) > 0) FROM {self.work_table}"
        )[0]
        reasons = engine.fetch_all(
            f"SELECT e, count(*) AS n FROM (SELECT unnest(_errors) AS e FROM {self.work_table}) "
            "GROUP BY e ORDER BY n DESC, e LIMIT 20"
        )
        return {
            "rows_in": int(total),
            "rows_valid": int(total - bad),
            "rows_quarantined": int(bad),
            "reasons": {r[0]: int(r[1]) for r in reasons},
            "warnings": self.warnings,
        }


def _in_list(values: Sequence[Any]) -> str:
    return "(" + ", ".join(quote_literal(str(v)) for v in values) + ")"


def _text(col: str, schema: TableSchema, f: Field | None) -> str:
    missing = list(schema.missingValues) + list(f.secretValues if f else [])
    trimmed = f"trim(CAST({quote_ident(col)} AS VARCHAR))"
    if not missing:
        return trimmed
    return f"CASE WHEN {trimmed} IN {_in_list(missing)} THEN NULL ELSE {trimmed} END"


def _typed(v: str, f: Field, raw_type: str) -> str:
    target = SQL_TYPES[f.type]
    if raw_type.upper() != "VARCHAR":
        # Typed input (Parquet, GeoJSON): trust the engine's cast.
        return f"TRY_CAST({quote_ident(f.name)} AS {target})"
    if f.type == "number" or f.type == "integer":
        expr = v
        if f.groupChar:
            expr = f"replace(replace({expr}, {quote_literal(f.groupChar)}, ''), '\u00a0', '')"
        if f.type == "number" and f.decimalChar != ".":
            expr = f"replace({expr}, {quote_literal(f.decimalChar)}, '.')"
        return f"TRY_CAST({expr} AS {target})"
    if f.type == "boolean":
        return (
            f"CASE WHEN {v} IN {_in_list(f.trueValues)} THEN true WHEN {v} IN {_in_list(f.falseValues)} THEN false END"
        )
    if f.type in ("date", "datetime") and f.format not in (None, "default", "any"):
        cast = "DATE" if f.type == "date" else "TIMESTAMP"
        return f"CAST(TRY_STRPTIME({v}, {quote_literal(f.format)}) AS {cast})"
    if f.type == "year":
        return f"CASE WHEN regexp_full_match({v}, '-?[0-9]{{1,4}}') THEN TRY_CAST({v} AS INTEGER) END"
    if f.type == "geometry":
        return f"TRY(ST_GeomFromText({v}))"
    if f.type in ("string", "any", "object", "yearmonth"):
        return v
    return f"TRY_CAST({v} AS {target})"


def _checks(f: Field, v: str, typed: str) -> list[tuple[str, str]]:
    c = f.constraints
    checks: list[tuple[str, str]] = []
    if f.type not in ("string", "any", "object"):
        checks.append((f"{v} IS NOT NULL AND ({typed}) IS NULL", f"type-error (expected {f.type})"))
    if c.required:
        checks.append((f"{v} IS NULL", "required"))
    if c.enum:
        checks.append((f"({typed}) IS NOT NULL AND CAST(({typed}) AS VARCHAR) NOT IN {_in_list(c.enum)}", "enum"))
    if c.minimum is not None:
        checks.append((f"({typed}) < {_bound(c.minimum, f)}", f"minimum {c.minimum}"))
    if c.maximum is not None:
        checks.append((f"({typed}) > {_bound(c.maximum, f)}", f"maximum {c.maximum}"))
    if c.minLength is not None:
        checks.append((f"length({v}) < {int(c.minLength)}", f"minLength {c.minLength}"))
    if c.maxLength is not None:
        checks.append((f"length({v}) > {int(c.maxLength)}", f"maxLength {c.maxLength}"))
    if c.pattern:
        checks.append((f"NOT regexp_full_match({v}, {quote_literal(c.pattern)})", "pattern"))
    return checks


def _bound(value: float | str, f: Field) -> str:
    if isinstance(value, str):
        return f"CAST({quote_literal(value)} AS {SQL_TYPES[f.type]})"
    return repr(float(value))


def match_columns(schema: TableSchema, columns: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Map schema fields to file columns; raise on missing required ones, warn on the rest."""
    present = {name: typ for name, typ in columns if name != "_line"}
    warnings: list[str] = []
    missing_required = [f.name for f in schema.fields if f.name not in present and f.constraints.required]
    if missing_required:
        hints = [h for h in (did_you_mean(m, present) for m in missing_required) if h]
        raise DataError(
            f"column(s) {', '.join(missing_required)} required by the schema are missing from the file "
            f"(found: {', '.join(present)})",
            hint="; ".join(hints) if hints else "the producer may have renamed columns: update the schema",
        )
    for f in schema.fields:
        if f.name not in present:
            warnings.append(f"column {f.name!r} is not in the file: filled with nulls")
    declared = {f.name for f in schema.fields}
    for name in present:
        if name not in declared:
            warnings.append(f"column {name!r} is not declared in the schema: not kept")
    return present, warnings


def validate_relation(
    engine: Engine, raw: RawRelation, schema: TableSchema | None, work_table: str
) -> ValidationOutcome:
    """Materialise ``raw`` checked against ``schema`` into ``work_table`` (a temporary table)."""
    wt = quote_ident(work_table)
    if schema is None:
        engine.execute(f"CREATE OR REPLACE TEMP TABLE {wt} AS SELECT *, []::VARCHAR[] AS _errors FROM {raw.sql}")
        cols = ", ".join(quote_ident(c) for c, _ in raw.columns if c != "_line")
        return ValidationOutcome(
            staging_sql=f"SELECT {cols} FROM {wt}",
            quarantine_sql=f"SELECT _line, ''::VARCHAR AS _raw, _errors FROM {wt} WHERE false",
            work_table=wt,
        )
    present, warnings = match_columns(schema, raw.columns)
    selects: list[str] = ["_line"]
    errors: list[str] = []
    for f in schema.fields:
        if f.name not in present:
            selects.append(f"CAST(NULL AS {SQL_TYPES[f.type]}) AS {quote_ident(f.name)}")
            if f.secretValues:
                selects.append(f"false AS {quote_ident(f.name + '_secret')}")
            continue
        v = _text(f.name, schema, f)
        typed = _typed(v, f, present[f.name])
        selects.append(f"{typed} AS {quote_ident(f.name)}")
        if f.secretValues:
            selects.append(
                f"coalesce(trim(CAST({quote_ident(f.name)} AS VARCHAR)) IN {_in_list(f.secretValues)}, false) "
                f"AS {quote_ident(f.name + '_secret')}"
            )
        for cond, label in _checks(f, v, typed):
            errors.append(f"CASE WHEN {cond} THEN {quote_literal(f.name + ': ' + label)} END")
    raw_cols = [c for c, _ in raw.columns if c != "_line"]
    raw_json = (
        "to_json(struct_pack("
        + ", ".join(f"{quote_ident(c)} := CAST({quote_ident(c)} AS VARCHAR)" for c in raw_cols)
        + "))"
    )
    error_list = (
        "list_filter([" + ", ".join(errors) + "]::VARCHAR[], x -> x IS NOT NULL)" if errors else "[]::VARCHAR[]"
    )
    inner = f"SELECT {', '.join(selects)}, {error_list} AS _errors, {raw_json} AS _raw FROM {raw.sql}"

    keys: list[list[str]] = []
    if schema.primary_key:
        keys.append(schema.primary_key)
    keys.extend([f.name] for f in schema.fields if f.constraints.unique and [f.name] != schema.primary_key)
    outer = inner
    for i, key in enumerate(keys):
        part = ", ".join(quote_ident(k) for k in key)
        label = ("primary-key" if key == schema.primary_key else "unique") + f" duplicate ({', '.join(key)})"
        outer = (
            f"SELECT * EXCLUDE (_dup{i}) REPLACE (CASE WHEN len(_errors) = 0 AND _dup{i} > 1 THEN "
            f"list_append(_errors, {quote_literal(label)}) ELSE _errors END AS _errors) FROM ("
            f"SELECT *, CASE WHEN len(_errors) = 0 THEN row_number() OVER (PARTITION BY {part}, len(_errors) = 0 "
            f"ORDER BY _line) END AS _dup{i} FROM ({outer}))"
        )
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {wt} AS {outer}")
    names = []
    for f in schema.fields:
        names.append(quote_ident(f.name))
        if f.secretValues:
            names.append(quote_ident(f.name + "_secret"))
    return ValidationOutcome(
        staging_sql=f"SELECT {', '.join(names)} FROM {wt} WHERE len(_errors) = 0 ORDER BY _line",
        quarantine_sql=f"SELECT _line, _raw, _errors FROM {wt} WHERE len(_errors) > 0 ORDER BY _line",
        warnings=warnings,
        work_table=wt,
    )
