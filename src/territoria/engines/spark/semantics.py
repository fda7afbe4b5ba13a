"""DuckDB's meaning of a few expressions, spelled in Spark SQL (on the parsed DuckDB statement).

sqlglot translates the syntax; where both engines accept the same spelling but compute something
else, the statement is rewritten here first, so that the same pack SQL gives the same numbers:

- ``a / b`` is a DOUBLE division in DuckDB whatever the operands (DECIMAL included), NULL when
  ``b`` is zero; Spark keeps decimals (rounded to its own scale) and raises on zero in ANSI mode;
- ``avg`` returns a DOUBLE in DuckDB; of a DECIMAL (the packs' exact means, ``avg(x::DECIMAL(38,
  9))``), the exact sum divided by the count, rounded once. Spark's decimal average is rounded to
  four more decimals than its input: the mean is computed here as the exact sum over the count
  with 20 decimals, then made a DOUBLE;
- ``timezone(zone, t)``: the wall-clock time in ``zone`` of the instant ``t`` (a TIMESTAMPTZ),
  or the instant at which ``zone``'s clocks read ``t`` (a TIMESTAMP without time zone). The
  engine's session is in UTC: ``from_utc_timestamp`` and ``to_utc_timestamp``. Which one depends
  on ``t``'s type, read from the expression (a parsed string or a cast to TIMESTAMP has none; a
  column of a store table is an instant, as the sensor store and landed files keep them);
- ``ORDER BY ..., rowid``: DuckDB's insertion order, as a tie-break. A warehouse table is Parquet
  files, each INSERT adding some: the file's write time (milliseconds), then the row's index in
  its file, from Spark's hidden ``_metadata`` column (rows written by one statement tie);
- ``hash(t)`` of a whole row (the content fingerprints) is ``xxhash64(t.*)``, and the 128-bit
  integers their sums are cast to DECIMAL(38, 0): the same order-independent fingerprint, with
  Spark's hash (so fingerprints compare within one engine);
- ``CAST(x AS JSON)``: JSON columns are text on Spark, a cast to JSON keeps the text;
- ``read_parquet('file', file_row_number=true)``: the file read in place (``parquet.`file```),
  its row numbers from Spark's hidden ``_metadata.row_index`` (one file: its rows in order);
- ``regexp_full_match(x, p)`` (the validation's patterns): Spark's ``RLIKE`` finds a match
  anywhere, so the pattern is anchored, ``^(?:p)$``.
"""

from __future__ import annotations

from sqlglot import exp

from territoria.engines.dialect import WIDE_INTEGERS

#: the sum of a decimal average, before its division: 18 integer digits, and room for the
#: quotient's 20 decimals within Spark's 38 digits (DECIMAL(27, s) / DECIMAL(10, 0))
SUM_DIGITS = 27
COUNT_DIGITS = 10
EXACT_SCALE = 9


def duckdb_semantics(tree: exp.Expr) -> exp.Expr:
    """``tree`` (a DuckDB statement, changed in place) with DuckDB's meaning in Spark's spelling."""
    for avg in list(tree.find_all(exp.Avg)):
        _average(avg)
    for div in list(tree.find_all(exp.Div)):
        div.replace(exp.Anonymous(this="try_divide", expressions=[_double(div.this), _double(div.expression)]))
    for ordered in list(tree.find_all(exp.Ordered)):
        column = ordered.this
        if isinstance(column, exp.Column) and column.name.lower() == "rowid":
            column.replace(_insertion_order(column.table))
    for read in list(tree.find_all(exp.ReadParquet)):
        _parquet_file(read)
    for match in list(tree.find_all(exp.RegexpFullMatch)):
        anchored = exp.Concat(expressions=[exp.Literal.string("^(?:"), match.expression, exp.Literal.string(")$")])
        match.replace(exp.RegexpLike(this=match.this, expression=exp.paren(anchored)))
    for cast in list(tree.find_all(exp.Cast)):
        if cast.to.this in WIDE_INTEGERS:
            cast.set("to", exp.DataType.build("DECIMAL(38, 0)"))
        elif cast.to.this == exp.DataType.Type.JSON:
            cast.set("to", exp.DataType.build("VARCHAR"))  # JSON is kept as its text (sql.py)
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.lower() == "hash" and _whole_row(call):
            row = exp.Column(this=exp.Star(), table=exp.to_identifier(call.expressions[0].name))
            call.replace(exp.Anonymous(this="xxhash64", expressions=[row]))
            continue
        if call.name.lower() == "timezone" and len(call.expressions) == 2:
            zone, value = call.expressions
            function = "to_utc_timestamp" if _naive(value) else "from_utc_timestamp"
            call.replace(exp.Anonymous(this=function, expressions=[value, zone]))
    return tree


def _parquet_file(read: exp.ReadParquet) -> None:
    path, *options = read.expressions
    table = read.parent
    if not isinstance(table, exp.Table) or not isinstance(path, exp.Literal) or not path.is_string:
        return  # a list of files, or a call outside FROM: left to the translation, which names it
    numbered = any(isinstance(o, exp.EQ) and o.this.name.lower() == "file_row_number" for o in options)
    scan = exp.Table(this=exp.to_identifier(path.this, quoted=True), db=exp.to_identifier("parquet"))
    if not numbered:
        scan.set("alias", table.args.get("alias"))
        table.replace(scan)
        return
    row_index = exp.Dot.build([exp.to_identifier("_metadata"), exp.to_identifier("row_index")])
    query = exp.select("*", exp.alias_(row_index, "file_row_number")).from_(scan)
    alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier("_parquet"))
    table.replace(exp.Subquery(this=query, alias=alias))


def _whole_row(call: exp.Anonymous) -> bool:
    """``hash(t)`` where ``t`` names a relation of the query's FROM clause (DuckDB's whole row)."""
    if len(call.expressions) != 1 or not isinstance(call.expressions[0], exp.Column) or call.expressions[0].table:
        return False
    select = call.find_ancestor(exp.Select)
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])] if select is not None else []
    return any(s is not None and s.this.alias_or_name == call.expressions[0].name for s in sources)


def _insertion_order(table: str) -> exp.Expr:
    def hidden(field: str) -> exp.Expr:
        return exp.Dot.build(
            [*([exp.to_identifier(table)] if table else []), exp.to_identifier("_metadata"), exp.to_identifier(field)]
        )

    written = exp.Cast(
        this=exp.Anonymous(this="unix_millis", expressions=[hidden("file_modification_time")]),
        to=exp.DataType.build("DECIMAL(38, 0)"),
    )
    return exp.paren(
        exp.Add(this=exp.Mul(this=written, expression=exp.Literal.number(10**9)), expression=hidden("row_index"))
    )


def _double(node: exp.Expr) -> exp.Expr:
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


def _average(avg: exp.Avg) -> None:
    window = avg.parent if isinstance(avg.parent, exp.Window) else None
    target: exp.Expr = window or avg
    arg = avg.this
    scale = _decimal_scale(arg)
    if scale is None or scale > EXACT_SCALE:
        target.replace(_double(target.copy()))
        return

    def over(aggregate: exp.Expr) -> exp.Expr:
        if window is None:
            return aggregate
        framed = window.copy()
        framed.set("this", aggregate)
        return framed

    total = exp.Cast(this=over(exp.Sum(this=arg.copy())), to=exp.DataType.build(f"DECIMAL({SUM_DIGITS}, {scale})"))
    count = exp.Cast(this=over(exp.Count(this=arg.copy())), to=exp.DataType.build(f"DECIMAL({COUNT_DIGITS}, 0)"))
    target.replace(_double(exp.Anonymous(this="try_divide", expressions=[total, count])))


def _decimal_scale(node: exp.Expr) -> int | None:
    """The scale of an explicit ``CAST(x AS DECIMAL(p, s))``, else ``None`` (type unknown)."""
    if not isinstance(node, exp.Cast) or not node.to.is_type(exp.DataType.Type.DECIMAL):
        return None
    params = node.to.expressions
    if len(params) != 2:
        return None
    scale = params[1].this
    return int(scale.this) if isinstance(scale, exp.Literal) else None


def _naive(node: exp.Expr) -> bool:
    """Whether ``node`` is a TIMESTAMP without time zone, as far as the expression says."""
    if isinstance(node, exp.StrToTime):
        return True
    if isinstance(node, exp.Cast):
        return node.to.is_type(exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone" and len(node.expressions) == 2:
        return not _naive(node.expressions[1])  # an instant's wall-clock time has no zone
    return False
