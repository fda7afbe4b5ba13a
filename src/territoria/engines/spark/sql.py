"""DuckDB-dialect statements made ready for Spark.

Pack and pipeline SQL is DuckDB's; ``translate`` turns an expression or a query into Spark SQL.
What translation cannot do is done here, on the parsed statement, before it is translated:

- Spark's catalog accepts letters, digits and ``_`` in a table name (``conso-elec-gaz-commune``
  is refused): every schema-qualified table gets a catalog-safe name (``encode``);
- ``WITH x AS MATERIALIZED (...)`` (a DuckDB planner hint, on the CTEs a model reads several
  times) is honoured: the engine computes such a CTE once, into a temporary Parquet table the
  query then reads (Spark would inline and recompute it at each use, and plan a tree that
  much bigger); nested or parameterised ones are only inlined;
- ``row_number() OVER ()`` numbers rows in any order; Spark requires one (the order of
  ``monotonically_increasing_id()``, i.e. of the partitions);
- DDL and DML a Parquet warehouse cannot run as such (``CREATE TABLE ... (columns)`` with a
  primary key, ``CREATE TEMP TABLE``, ``DELETE``, ``UPDATE``, ``INSERT OR REPLACE``,
  ``ALTER TABLE ... ADD COLUMN``) are classified so that the engine runs them itself (a new
  table written then swapped in).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from territoria.core.errors import EngineError
from territoria.engines.dialect import translate
from territoria.engines.spark.semantics import duckdb_semantics

_UNSAFE = re.compile(r"[^a-z0-9_]")
_PARAM_CAST = re.compile(r"\?::(\w+)")
#: the temp view the engine makes of its catalog's columns, for ``information_schema.columns``
COLUMNS_VIEW = "_territoria_information_schema_columns"
#: DuckDB types Spark has no equivalent of, stored as text
_TEXT_TYPES = {"JSON"}


def encode(name: str) -> str:
    """A name Spark's catalog accepts (it folds case, as DuckDB does): each other character
    spelled as its code point (``conso-elec`` -> ``conso__2d__elec``)."""
    return _UNSAFE.sub(lambda m: f"__{ord(m.group()):x}__", name.lower())


@dataclass(frozen=True)
class Statement:
    """One statement, classified: what the engine does with it, and its Spark SQL parts."""

    kind: str
    #: the whole statement in Spark SQL (kinds run as they are: select, insert, view, other)
    sql: str = ""
    schema: str = ""
    name: str = ""
    #: the query of a CREATE ... AS, or the rows a DELETE keeps
    select: str = ""
    replace: bool = False
    if_not_exists: bool = False
    #: (column, Spark type) of a CREATE TABLE with a column list
    columns: tuple[tuple[str, str], ...] = ()
    primary_key: tuple[str, ...] = ()
    #: (temporary table, its Spark query) to compute first, in order: the MATERIALIZED CTEs
    materialize: tuple[tuple[str, str], ...] = ()
    #: a ``DESCRIBE SELECT``: ``sql`` is Spark's ``DESCRIBE QUERY`` (its type names)
    describe: bool = False
    #: the Spark SQL of each added column's DEFAULT (``NULL`` when it has none)
    defaults: tuple[str, ...] = ()
    #: the columns an UPDATE sets: ``select`` gives each one's new value as ``SET_PREFIX + column``
    assigned: tuple[str, ...] = ()


#: an UPDATE's new values, beside the table's columns in its ``select`` (``?`` become ``:p0``...)
SET_PREFIX = "__territoria_set_"


def _spark(node: exp.Expr) -> str:
    return translate(duckdb_semantics(node.copy()).sql(dialect="duckdb"), "spark")


def _rename_tables(tree: exp.Expr) -> None:
    for table in tree.find_all(exp.Table):
        if table.db.lower() == "information_schema" and table.name.lower() == "columns":
            table.set("db", None)
            table.set("this", exp.to_identifier(COLUMNS_VIEW))
        elif table.args.get("db") is not None and isinstance(table.this, exp.Identifier):
            table.set("db", exp.to_identifier(encode(table.db), quoted=True))
            table.set("this", exp.to_identifier(encode(table.name), quoted=True))
    for window in tree.find_all(exp.Window):
        # DuckDB numbers rows in scan order without ORDER BY; Spark wants an order: any will do
        if (
            isinstance(window.this, exp.RowNumber)
            and not window.args.get("order")
            and not window.args.get("partition_by")
        ):
            window.set("order", exp.Order(expressions=[exp.Ordered(this=exp.func("monotonically_increasing_id"))]))


def _materialized(query: exp.Expr, sql: str) -> tuple[tuple[str, str], ...]:
    """Take the top-level ``AS MATERIALIZED`` CTEs out of ``query`` (renamed tables already):
    each becomes a temporary table computed from the CTEs before it, read by the query. Every
    other (NOT) MATERIALIZED hint is dropped: Spark has no such syntax."""
    with_ = query.args.get("with_")
    steps: list[tuple[str, str]] = []
    if with_ is not None and "?" not in sql:
        tag = hashlib.blake2b(sql.encode(), digest_size=6).hexdigest()
        for i, cte in enumerate(with_.expressions):
            if not cte.args.get("materialized"):
                continue
            name = f"_cte_{tag}_{i}"
            body = cte.this.copy()
            earlier = [c.copy() for c in with_.expressions[:i]]
            if earlier:
                body.set("with_", exp.With(expressions=earlier))
            _drop_hints(body)
            steps.append((name, _spark(body)))
            cte.set("this", exp.select("*").from_(name))
    _drop_hints(query)
    return tuple(steps)


def _drop_hints(tree: exp.Expr) -> None:
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)


def _columns(schema: exp.Schema) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    columns: list[tuple[str, str]] = []
    keys: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            kind = item.args.get("kind")
            spark_type = kind.sql(dialect="spark") if kind is not None else "STRING"
            if kind is not None and kind.sql(dialect="duckdb").upper() in _TEXT_TYPES:
                spark_type = "STRING"
            columns.append((item.name, spark_type))
            constraints = item.args.get("constraints") or []
            if any(isinstance(c.args.get("kind"), exp.PrimaryKeyColumnConstraint) for c in constraints):
                keys.append(item.name)
        elif isinstance(item, exp.PrimaryKey):
            keys.extend(e.name for e in item.expressions)
    return tuple(columns), tuple(keys)


def _target(node: exp.Expr) -> tuple[str, str]:
    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    if table is None:
        raise EngineError(f"no table named in: {node.sql(dialect='duckdb')}")
    return table.db, table.name


@lru_cache(maxsize=4096)
def prepare(sql: str) -> Statement:
    """Classify one DuckDB-dialect statement and translate its parts (names not yet encoded:
    ``schema`` and ``name`` are the ones the SQL wrote)."""
    # sqlglot's DuckDB grammar does not take a cast right after a placeholder (`?::JSON`)
    sql = _PARAM_CAST.sub(r"CAST(? AS \1)", sql)
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise EngineError("the Spark engine cannot parse a statement", detail=f"{exc}\n{sql}") from exc
    if len(trees) != 1:
        raise EngineError("the Spark engine runs one statement at a time", detail=sql)
    tree = trees[0]
    if isinstance(tree, exp.Create):
        return _create(tree)
    if isinstance(tree, exp.Drop):
        schema, name = _target(tree.this or tree.args["tables"][0])
        return Statement("drop_" + str(tree.args.get("kind") or "TABLE").lower(), schema=schema, name=name)
    actions = (tree.args.get("actions") or []) if isinstance(tree, exp.Alter) else []
    if actions and all(isinstance(a, exp.ColumnDef) for a in actions):
        schema, name = _target(tree.this)
        columns, _ = _columns(exp.Schema(expressions=[a.copy() for a in actions]))
        exists = all(a.args.get("exists") for a in actions)
        defaults = tuple(_default(a) for a in actions)
        return Statement(
            "add_columns", schema=schema, name=name, columns=columns, if_not_exists=exists, defaults=defaults
        )
    if isinstance(tree, exp.Update):
        return _update(tree)
    if isinstance(tree, exp.Insert) and str(tree.args.get("alternative") or "").upper() == "REPLACE":
        target = tree.this
        schema, name = _target(target)
        listed = tuple(e.name for e in target.expressions) if isinstance(target, exp.Schema) else ()
        query = tree.expression
        _rename_tables(query)
        return Statement(
            "insert_replace", schema=schema, name=name, select=_spark(query), columns=tuple((c, "") for c in listed)
        )
    if isinstance(tree, exp.Delete):
        schema, name = _target(tree.this)
        where = tree.args.get("where")
        _rename_tables(tree)
        keep = exp.select("*").from_(tree.this.copy())
        if where is not None:
            keep = keep.where(exp.not_(exp.func("coalesce", exp.paren(where.this.copy()), exp.false())))
        return Statement("delete", schema=schema, name=name, select=_spark(keep))
    if isinstance(tree, exp.Describe) and isinstance(tree.this, exp.Query | exp.Table):
        described = tree.this if isinstance(tree.this, exp.Query) else exp.select("*").from_(tree.this)
        _rename_tables(described)
        return Statement("select", sql="DESCRIBE QUERY " + _spark(described), describe=True)
    _rename_tables(tree)
    kind = "select" if isinstance(tree, exp.Query) else "insert" if isinstance(tree, exp.Insert) else "other"
    steps = _materialized(tree, sql) if kind == "select" else ()
    return Statement(kind, sql=_spark(tree), materialize=steps)


def _default(column: exp.ColumnDef) -> str:
    for constraint in column.args.get("constraints") or []:
        if isinstance(constraint.args.get("kind"), exp.DefaultColumnConstraint):
            return _spark(constraint.args["kind"].this)
    return "NULL"


def _update(tree: exp.Update) -> Statement:
    """``UPDATE t SET c = v WHERE w`` as the rows of ``t`` with ``CASE WHEN w THEN v ELSE c END``
    beside each set column (the engine writes the table again); the condition appears once per
    column, so the ``?`` parameters become named ones, in the order they are written."""
    schema, name = _target(tree.this)
    if tree.args.get("from_") is not None:
        raise EngineError("the Spark engine does not run UPDATE ... FROM", detail=tree.sql(dialect="duckdb"))
    for i, placeholder in enumerate(list(tree.find_all(exp.Placeholder, bfs=False))):
        placeholder.replace(exp.Placeholder(this=f"p{i}"))
    where = tree.args.get("where")
    condition = where.this if where is not None else exp.true()
    _rename_tables(tree)
    table = tree.this.copy()
    table.set("alias", None)
    assigned, values = [], []
    for eq in tree.expressions:
        column = eq.this.name
        new = exp.Case(
            ifs=[exp.If(this=exp.func("coalesce", exp.paren(condition.copy()), exp.false()), true=eq.expression.copy())]
        )
        new.set("default", exp.column(column, quoted=True))
        assigned.append(column)
        values.append(exp.alias_(new, SET_PREFIX + column, quoted=True))
    select = exp.select("*", *values).from_(table)
    return Statement("update", schema=schema, name=name, select=_spark(select), assigned=tuple(assigned))


def _create(tree: exp.Create) -> Statement:
    kind = str(tree.args.get("kind") or "").upper()
    if kind == "SCHEMA":
        # sqlglot parses the schema's name as a table's schema part
        return Statement(
            "create_schema", schema=tree.this.db or tree.this.name, if_not_exists=bool(tree.args.get("exists"))
        )
    properties = tree.args.get("properties")
    temporary = properties is not None and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions)
    target = tree.this
    schema, name = _target(target)
    replace, if_not_exists = bool(tree.args.get("replace")), bool(tree.args.get("exists"))
    if kind == "VIEW":
        _rename_tables(tree)
        return Statement("create_temp_view" if temporary else "create_view", sql=_spark(tree), schema=schema, name=name)
    if kind != "TABLE":
        raise EngineError(f"the Spark engine does not run CREATE {kind}", detail=tree.sql(dialect="duckdb"))
    query = tree.expression
    if isinstance(target, exp.Schema) and query is None:
        columns, keys = _columns(target)
        return Statement(
            "create_empty",
            schema=schema,
            name=name,
            columns=columns,
            primary_key=keys,
            replace=replace,
            if_not_exists=if_not_exists,
        )
    if query is None:
        raise EngineError("CREATE TABLE without a column list nor a query", detail=tree.sql(dialect="duckdb"))
    _rename_tables(query)
    steps = _materialized(query, tree.sql(dialect="duckdb"))
    kind = "create_temp" if temporary else "create_as"
    return Statement(
        kind,
        schema=schema,
        name=name,
        select=_spark(query),
        replace=replace,
        if_not_exists=if_not_exists,
        materialize=steps,
    )


def spark_query(sql: str) -> Statement:
    """A DuckDB-dialect query, prepared for Spark (its catalog tables renamed)."""
    statement = prepare(sql)
    if statement.kind != "select":
        raise EngineError("expected a query (SELECT ...)", detail=sql)
    return statement
