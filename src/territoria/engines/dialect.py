"""Pack and pipeline SQL is written once, in DuckDB's dialect; each engine gets it translated.

``translate(sql, dialect)`` uses sqlglot (a maintained SQL transpiler), cached per statement,
with a few rewrites of our own where sqlglot keeps a DuckDB spelling the target lacks
(``ST_Transform``'s ``always_xy``, ``ST_AsWKB``, ``CREATE OR REPLACE TABLE``...). What cannot be
translated is refused with a ``ConfigError`` naming the construct.

Where a model's SQL cannot be translated, its pack ships an engine-specific variant beside it:
``model.sql`` and ``model.postgres.sql``. ``variant_path`` names that file and
``mark_variant`` tags its text, so that ``translate`` hands it to that engine verbatim (and
refuses it for another engine: a variant is not DuckDB SQL). The Spark engine parses every
statement itself (it runs DDL on its warehouse): a ``model.spark.sql`` is written in DuckDB's
grammar with what Spark has, and goes through the same translation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from territoria.core.errors import ConfigError
from territoria.engines.expansions import take_parsed

SOURCE = "duckdb"
#: the first line of a variant: ``-- territoria:dialect=postgres``
MARKER = re.compile(r"\A\s*--\s*territoria:dialect=(\w+)[^\n]*\n?")

#: DuckDB function name -> the target's, where sqlglot keeps DuckDB's spelling
RENAMES: dict[str, dict[str, str]] = {
    "postgres": {
        "ST_ASWKB": "ST_AsBinary",
        "ST_GEOMFROMWKB": "ST_GeomFromWKB",
        "ERROR": "territoria_error",
        "ST_UNION_AGG": "ST_Union",
    },
    "spark": {"ERROR": "raise_error"},
}


#: DuckDB's 128-bit integers (sums of 64-bit hashes, bit sets): PostgreSQL's NUMERIC holds them
WIDE_INTEGERS = frozenset({exp.DataType.Type.INT128, exp.DataType.Type.UINT128})


def variant_path(sql_file: Path, dialect: str) -> Path:
    """``model.sql`` -> ``model.postgres.sql``: the engine-specific variant a pack may ship."""
    return sql_file.with_name(f"{sql_file.stem}.{dialect}{sql_file.suffix}")


def mark_variant(sql: str, dialect: str) -> str:
    return f"-- territoria:dialect={dialect}\n{sql}"


#: a part of a model's SQL that an engine's variant may replace (``with_parts``)
PART = re.compile(
    r"^[ \t]*--[ \t]*territoria:part[ \t]+(\w+)[^\n]*\n(.*?)^[ \t]*--[ \t]*territoria:end\b[^\n]*\n?",
    re.MULTILINE | re.DOTALL,
)


def with_parts(base: str, variant: str, label: str) -> str:
    """The SQL an engine runs where its pack ships ``variant`` beside ``base``. A variant made of
    parts (``-- territoria:part NAME`` ... ``-- territoria:end``, comments between them) is the
    base with those parts replaced by the variant's, so the rest of the base is written once and
    must run as it is on that engine too; any other variant is the whole query."""
    parts = {m.group(1): m.group(2) for m in PART.finditer(variant)}
    if not parts:
        return variant
    unknown = sorted(set(parts) - {m.group(1) for m in PART.finditer(base)})
    stray = [line for line in PART.sub("", variant).splitlines() if line.strip() and not line.lstrip().startswith("--")]
    if unknown or stray:
        problem = f"the base SQL has no part {', '.join(unknown)}" if unknown else f"{stray[0]!r} is in no part"
        raise ConfigError(
            f"{label}: {problem}",
            hint="such a variant holds `-- territoria:part NAME` ... `-- territoria:end` blocks, named as the base's",
        )
    return PART.sub(lambda m: parts.get(m.group(1), m.group(2)), base)


def variant_dialect(sql: str) -> str | None:
    """The dialect a variant is written in, ``None`` for ordinary (DuckDB) SQL."""
    match = MARKER.match(sql)
    return match.group(1) if match else None


def translate(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect, or a variant marked for ``dialect``) in ``dialect``."""
    written_in = variant_dialect(sql)
    if written_in is not None:
        if written_in != dialect:
            raise ConfigError(
                f"SQL written for the {written_in} engine cannot run on the {dialect} engine",
                hint=f"ship the DuckDB-dialect SQL beside the variant (the .{written_in}.sql file)",
            )
        return MARKER.sub("", sql, count=1)
    if dialect == SOURCE:
        return sql
    return _translate(sql, dialect, "", False)


def translate_for_driver(sql: str, dialect: str, *, schema_prefix: str = "", params: bool = False) -> str:
    """``translate`` for a DB-API driver: schemas renamed ``schema_prefix + name`` (a store's own
    schema set on a shared server) and, with ``params``, ``?`` placeholders as ``%s`` with every
    other ``%`` doubled (psycopg's paramstyle)."""
    written_in = variant_dialect(sql)
    if written_in is not None and not schema_prefix and not params:
        return translate(sql, dialect)
    return _translate(translate(sql, dialect) if written_in else sql, dialect, schema_prefix, params, written_in)


#: schemas of the server itself, never renamed by a store's schema prefix
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_temp", "territoria_compat"})
PARAM_TOKEN = "territoria_param_"


def _rewrite(dialect: str, prefix: str = "", params: bool = False):  # type: ignore[no-untyped-def]
    renames = RENAMES.get(dialect, {})
    aliases = iter(range(1_000_000))

    def rewrite(node: exp.Expr) -> exp.Expr:
        if (
            dialect == "postgres"
            and isinstance(node, exp.Subquery)
            and not node.alias
            and isinstance(node.parent, exp.From | exp.Join)
        ):
            # PostgreSQL 15 wants a name for every subquery in FROM (16 lifted that)
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_t{next(aliases)}")))
            return node
        if dialect == "postgres" and isinstance(node, exp.Table) and _is_range(node):
            # DuckDB's range(n) names its column `range`; generate_series names it after itself
            alias = node.args.get("alias")
            name = alias.this if alias is not None and alias.this else exp.to_identifier("range")
            node.set("alias", exp.TableAlias(this=name, columns=[exp.to_identifier("range")]))
            return node
        if dialect == "postgres" and isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
            # DuckDB's any_value skips NULLs: so does the compat aggregate (PostgreSQL 15 has none)
            return exp.Anonymous(this="any_value", expressions=[node.this.this])
        if dialect == "postgres" and isinstance(node, exp.Select):
            _expand_group_by_all(node)
            _expand_order_by_all(node)
        if dialect == "postgres" and isinstance(node, exp.Column) and node.name.lower() == "rowid":
            # DuckDB's insertion-order pseudo-column, a number: PostgreSQL's row address (page,
            # item) as one, which orders an append-only table alike and joins with itself
            ctid = exp.column("ctid", table=node.table or None, quoted=True).sql("postgres")
            address = f"CAST(CAST({ctid} AS TEXT) AS POINT)"
            return sqlglot.parse_one(
                f"(CAST(({address})[0] AS BIGINT) * 65536 + CAST(({address})[1] AS BIGINT))", read="postgres"
            )
        if dialect == "postgres" and isinstance(node, exp.ArgMax | exp.ArgMin):
            return _arg_extreme(node)
        if dialect == "postgres" and isinstance(node, exp.Struct):
            # a DuckDB struct travels as a JSON object (psycopg reads it back as a dict)
            pairs: list[exp.Expression] = []
            for item in node.expressions:
                key = item.this if isinstance(item, exp.PropertyEQ) else item.args.get("alias")
                value = item.expression if isinstance(item, exp.PropertyEQ) else item.this
                pairs += [exp.Literal.string(key.name if key is not None else ""), value]
            # at most 100 arguments to a PostgreSQL function: wide rows are built in parts
            parts = [
                exp.Anonymous(this="jsonb_build_object", expressions=pairs[i : i + 100])
                for i in range(0, len(pairs), 100)
            ]
            built: exp.Expr = parts[0]
            for part in parts[1:]:
                built = exp.DPipe(this=built, expression=part)
            return built
        if dialect == "postgres" and isinstance(node, exp.Cast) and _is_field_access(node.this):
            return _field(node.this, node.args["to"])
        if dialect == "postgres" and isinstance(node, exp.Column) and _is_field_access(node):
            return _field(node, None)
        if dialect == "postgres" and isinstance(node, exp.Explode | exp.Unnest):
            # unnest(generate_series(...)): DuckDB's series is a list, PostgreSQL's a set already
            inner = node.this if isinstance(node, exp.Explode) else (node.expressions or [None])[0]
            if isinstance(inner, exp.GenerateSeries):
                if isinstance(node, exp.Unnest) and node.args.get("alias") is not None:
                    return exp.Table(this=inner.copy(), alias=node.args["alias"].copy())
                return inner.copy()
        if dialect == "postgres" and isinstance(node, exp.JSONExtract | exp.JSONExtractScalar):
            if not isinstance(node.this, exp.Cast):  # DuckDB stores JSON as text: read it as json
                node.set("this", exp.Cast(this=node.this.copy(), to=exp.DataType.build("JSON")))
            return node
        if dialect == "postgres" and isinstance(node, exp.DateFromParts):
            date_parts: list[exp.Expr] = [
                exp.Cast(this=node.args[k].copy(), to=exp.DataType.build("INT")) for k in ("year", "month", "day")
            ]
            return exp.Anonymous(this="make_date", expressions=date_parts)
        if dialect == "postgres" and isinstance(node, exp.TryCast):
            # NULL where the cast fails (a plain CAST raises): the compat function casts by text
            typed_null = exp.Cast(this=exp.Null(), to=node.args["to"].copy())
            text = exp.Cast(this=node.this.copy(), to=exp.DataType.build("TEXT"))
            return exp.Anonymous(this="try_cast", expressions=[text, typed_null])
        if params and isinstance(node, exp.Placeholder):
            return exp.Var(this=PARAM_TOKEN)
        if prefix and isinstance(node, exp.Table):
            name = node.args.get("db")  # CREATE/DROP SCHEMA name their schema there too
            if isinstance(name, exp.Identifier) and name.name not in SYSTEM_SCHEMAS and not node.args.get("catalog"):
                node.set("db", exp.to_identifier(prefix + name.name, quoted=True))
            return node
        if dialect == "postgres" and isinstance(node, exp.DataType) and node.this in WIDE_INTEGERS:
            return exp.DataType.build("NUMERIC")  # HUGEINT: sums of 64-bit hashes
        if dialect == "postgres" and isinstance(node, exp.Anonymous) and node.name.upper() == "ERROR":
            # DuckDB's error() fits any CASE branch: here it takes the type of a sibling branch
            sibling = _sibling_branch(node)
            if sibling is not None:
                return exp.Anonymous(this="territoria_error", expressions=[*node.expressions, sibling.copy()])
        if isinstance(node, exp.Anonymous) and node.name.upper() in renames:
            node.set("this", renames[node.name.upper()])
        elif dialect == "postgres" and isinstance(node, exp.Anonymous) and node.name.upper() == "ST_TRANSFORM":
            # PostGIS always reads and writes x/y (lon/lat) order: DuckDB's always_xy flag is moot
            node.set("expressions", [e for e in node.expressions if not isinstance(e, exp.Kwarg | exp.PropertyEQ)])
            return _transform_by_srid(node)
        return node

    return rewrite


EPSG_CODE = re.compile(r"EPSG:(\d+)", re.IGNORECASE)


def _transform_by_srid(node: exp.Anonymous) -> exp.Expr:
    """``ST_Transform(g, 'EPSG:a', 'EPSG:b')`` through SRIDs: PostGIS builds a PROJ transformation
    on every call of its text form (about 10 ms, paid per row and per reference of an inlined CTE:
    a minute for the demo's cool places) and caches those of SRIDs. The result keeps SRID 0, as
    the text form gives it, so that it mixes with the other geometries of the statement."""
    if len(node.expressions) != 3:
        return node
    geometry, source, target = node.expressions
    codes = [
        EPSG_CODE.fullmatch(arg.this) if isinstance(arg, exp.Literal) and arg.is_string else None
        for arg in (source, target)
    ]
    if not (codes[0] and codes[1]):
        return node
    located = exp.Anonymous(this="ST_SetSRID", expressions=[geometry.copy(), exp.Literal.number(codes[0].group(1))])
    moved = exp.Anonymous(this="ST_Transform", expressions=[located, exp.Literal.number(codes[1].group(1))])
    return exp.Anonymous(this="ST_SetSRID", expressions=[moved, exp.Literal.number(0)])


def _replaces(statement: exp.Expr) -> bool:
    return (
        isinstance(statement, exp.Create)
        and bool(statement.args.get("replace"))
        and str(statement.args.get("kind")).upper() in ("TABLE", "VIEW")
    )


def _arg_extreme(node: exp.ArgMax | exp.ArgMin) -> exp.Expr:
    """``arg_max(x, y)`` -> the first ``x`` of the rows ordered by ``y`` (rows without ``y`` skipped)."""
    value, key = node.this.sql("postgres"), node.expression.sql("postgres")
    order = "DESC" if isinstance(node, exp.ArgMax) else "ASC"
    return sqlglot.parse_one(
        f"(ARRAY_AGG({value} ORDER BY {key} {order}) FILTER (WHERE {key} IS NOT NULL))[1]", read="postgres"
    )


def _sibling_branch(node: exp.Expr) -> exp.Expr | None:
    """Another result of the CASE whose branch ``node`` is (its ELSE first)."""
    branch = node.parent
    case = branch.parent if isinstance(branch, exp.If) and branch.args.get("true") is node else None
    if not isinstance(case, exp.Case):
        return None
    others = [case.args.get("default"), *(b.args.get("true") for b in case.args.get("ifs") or [] if b is not branch)]
    return next((o for o in others if o is not None and not isinstance(o, exp.Null)), None)


def _is_field_access(node: exp.Expr) -> bool:
    """``b.x`` where ``b`` is no table of any enclosing query: a field of struct column ``b``."""
    if not isinstance(node, exp.Column) or not node.table or node.args.get("db"):
        return False
    names: set[str] = set()
    select = node.find_ancestor(exp.Select)
    while select is not None:
        sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
        for source in filter(None, sources):
            target = source.this
            names.add(target.alias_or_name)
            if isinstance(target, exp.Table):
                names.add(target.name)
        select = select.find_ancestor(exp.Select)
    return bool(names) and node.table not in names


def _field(column: exp.Column, to: exp.DataType | None) -> exp.Expr:
    """A struct field as PostgreSQL reads it from the JSON object the struct became."""
    base = exp.column(column.table)
    key = exp.Literal.string(column.name)
    if to is not None and to.is_type(exp.DataType.Type.ARRAY):
        elements = exp.Anonymous(
            this="jsonb_array_elements_text", expressions=[exp.JSONExtract(this=base, expression=key)]
        )
        listed = exp.Array(expressions=[exp.select(elements)])
        return exp.Cast(this=listed, to=to.copy())
    text = exp.JSONExtractScalar(this=base, expression=key)
    return exp.Cast(this=text, to=to.copy()) if to is not None else text


def _is_aggregate(item: exp.Expression) -> bool:
    if any(not agg.find_ancestor(exp.Window) for agg in item.find_all(exp.AggFunc)):
        return True
    return any(f.name.lower() == "any_value" for f in item.find_all(exp.Anonymous))


def _expand_group_by_all(select: exp.Select) -> None:
    """``GROUP BY ALL`` -> ``GROUP BY 1, 2...``: the positions of the items that aggregate nothing."""
    group = select.args.get("group")
    if group is None or not group.args.get("all"):
        return
    keys = [
        exp.Literal.number(i)
        for i, item in enumerate(select.expressions, 1)
        if not _is_aggregate(item) and not item.find(exp.Window)
    ]
    select.set("group", exp.Group(expressions=keys) if keys else None)


def _expand_order_by_all(select: exp.Select) -> None:
    """``ORDER BY ALL`` -> ``ORDER BY 1, 2...`` (every item of the SELECT list)."""
    order = select.args.get("order")
    if order is None or len(order.expressions) != 1:
        return
    first = order.expressions[0]
    if isinstance(first.this, exp.Var) and first.this.name.upper() == "ALL":
        desc = bool(first.args.get("desc"))
        keys = [exp.Ordered(this=exp.Literal.number(i), desc=desc) for i in range(1, len(select.expressions) + 1)]
        order.set("expressions", keys)


def _is_range(table: exp.Table) -> bool:
    series = table.this
    alias = table.args.get("alias")
    return (
        isinstance(series, exp.GenerateSeries)
        and bool(series.args.get("is_end_exclusive"))
        and not (alias is not None and alias.columns)
    )


@lru_cache(maxsize=4096)
def _translate(sql: str, dialect: str, prefix: str, params: bool, read: str | None = None) -> str:
    if read is None:
        sql = sql.replace("?::", "(?)::")  # sqlglot 30 misreads `?::TYPE` (as a ternary)
    parsed = take_parsed(sql) if read is None else None
    try:
        statements = [parsed] if parsed is not None else sqlglot.parse(sql, read=read or SOURCE)
    except ParseError as exc:
        raise ConfigError(
            f"cannot read this SQL to translate it for the {dialect} engine: {_first_error(exc)}",
            hint="check the statement on DuckDB first; pack SQL is written in DuckDB's dialect",
            detail=sql[:2000],
        ) from exc
    out: list[str] = []
    for statement in statements:
        if statement is None:
            continue
        if dialect == "postgres" and read is None and _replaces(statement):
            # no CREATE OR REPLACE TABLE in PostgreSQL (and its OR REPLACE VIEW keeps the columns)
            statement.set("replace", False)
            kind = str(statement.args.get("kind")).upper()
            table = statement.this.copy()
            if isinstance(table, exp.Schema):  # CREATE TABLE t (a INT): drop t
                table = table.this
            dropped = exp.Drop(tables=[table], kind=kind, exists=True)
            out.append(dropped.transform(_rewrite(dialect, prefix, params)).sql(dialect=dialect, identify=True))
        # a tree of our own parse, used once: rewritten and generated in place (copying a big
        # statement's tree costs as much as a third of its parse)
        rewrite = _rewrite(dialect, prefix, params)
        tree = statement.transform(rewrite, copy=False) if read is None or prefix or params else statement
        try:
            # every identifier quoted as written: DuckDB matches names case-insensitively, and
            # PostgreSQL would fold an unquoted CODGEO to codgeo
            out.append(
                tree.sql(
                    dialect=dialect, copy=False, unsupported_level=ErrorLevel.RAISE, identify=dialect == "postgres"
                )
            )
        except UnsupportedError as exc:
            raise ConfigError(
                f"the {dialect} engine has no translation for {_first_error(exc)}",
                hint=f"rewrite it, or ship an engine-specific variant (model.{dialect}.sql beside model.sql)",
                detail=sql[:2000],
            ) from exc
    text = ";\n".join(out)
    return text.replace("%", "%%").replace(PARAM_TOKEN, "%s") if params else text


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors and isinstance(errors[0], dict) and errors[0].get("description"):
        return str(errors[0]["description"])
    return str(exc).splitlines()[0]
