"""The OData subset of SensorThings API v1.1 query options, translated to DuckDB SQL.

``$filter`` supports comparison (eq ne gt ge lt le), logical (and or not), arithmetic (add sub
mul div mod), parentheses, string functions (substringof contains startswith endswith length
tolower toupper trim concat indexof), date functions (year month day hour minute second date),
math (round floor ceiling), spatial functions (st_within st_intersects st_contains st_disjoint
st_equals st_distance geo.intersects geo.distance) with ``geography'POINT(...)'`` literals, and
temporal functions (before after during overlaps) with ``start/end`` interval literals. Paths
follow to-one navigation (``Datastream/Thing/name``) and JSON properties (``properties/role``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from territoria.core.errors import UserError
from territoria.engines.base import quote_literal

TOKEN = re.compile(
    r"""\s*(?:
    (?P<geo>(?:geography|geometry)'[^']*')
  | (?P<str>'(?:[^']|'')*')
  | (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?
        (?:/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_@$][\w@.$]*(?:/[A-Za-z_@$][\w@.$]*)*)
  | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
#: deepest nesting of parentheses, function calls and ``not`` a ``$filter`` may use: far above what a
#: client writes, far below what would exhaust the parser's (recursive) stack
MAX_DEPTH = 32
#: most tokens in a ``$filter``: a flat chain (``a add b add ...``) nests as deep in the SQL
MAX_TOKENS = 1000
COMPARE = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}


class QueryError(UserError):
    """A query option is not valid SensorThings syntax (HTTP 400)."""


@dataclass
class Term:
    sql: str
    kind: str = "any"  # any | text | number | time | interval | geometry | bool | json


@dataclass
class Resolver:
    """Turns a property path of an entity set into SQL; given by the entity model."""

    resolve: Callable[[list[str]], Term]


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot read $filter at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        if len(tokens) > MAX_TOKENS:
            raise QueryError(
                f"$filter is too long (more than {MAX_TOKENS} terms)",
                hint="split the query into simpler ones, or filter on fewer values",
            )
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _time_literal(value: str) -> str:
    return f"TIMESTAMPTZ {quote_literal(value)}"


@dataclass
class FilterParser:
    tokens: list[tuple[str, str]]
    resolver: Resolver
    pos: int = 0
    functions: dict[str, Callable[[list[Term]], Term]] = field(default_factory=dict)
    depth: int = 0

    def enter(self) -> None:
        """One level deeper (parenthesis, function call, ``not``): refused past ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"$filter is nested too deeply (more than {MAX_DEPTH} levels of parentheses, functions or not)",
                hint="remove redundant parentheses, or split the query into simpler ones",
            )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise QueryError("$filter ends too early")
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        _kind, got = self.take()
        if got != value:
            raise QueryError(f"$filter: expected {value!r}, found {got!r}")

    def word(self) -> str | None:
        tok = self.peek()
        return tok[1].lower() if tok and tok[0] == "name" else None

    def parse(self) -> str:
        term = self.or_()
        if self.peek() is not None:
            raise QueryError(f"$filter: unexpected {self.peek()[1]!r}")  # type: ignore[index]  # peek is not None here
        return term.sql

    def or_(self) -> Term:
        left = self.and_()
        while self.word() == "or":
            self.take()
            left = Term(f"({left.sql} OR {self.and_().sql})", "bool")
        return left

    def and_(self) -> Term:
        left = self.not_()
        while self.word() == "and":
            self.take()
            left = Term(f"({left.sql} AND {self.not_().sql})", "bool")
        return left

    def not_(self) -> Term:
        if self.word() == "not":
            self.take()
            self.enter()
            inner = self.not_()
            self.depth -= 1
            return Term(f"(NOT {inner.sql})", "bool")
        return self.compare()

    def compare(self) -> Term:
        left = self.additive()
        op = self.word()
        if op in COMPARE:
            self.take()
            right = self.additive()
            return Term(f"({_coerce(left, right)} {COMPARE[op]} {_coerce(right, left)})", "bool")
        return left

    def additive(self) -> Term:
        left = self.multiplicative()
        while self.word() in ("add", "sub"):
            op = ARITH[self.take()[1].lower()]
            left = Term(f"({_num(left)} {op} {_num(self.multiplicative())})", "number")
        return left

    def multiplicative(self) -> Term:
        left = self.primary()
        while self.word() in ("mul", "div", "mod"):
            op = ARITH[self.take()[1].lower()]
            left = Term(f"({_num(left)} {op} {_num(self.primary())})", "number")
        return left

    def primary(self) -> Term:
        kind, value = self.take()
        if kind == "punct" and value == "(":
            self.enter()
            inner = self.or_()
            self.expect(")")
            self.depth -= 1
            return Term(f"({inner.sql})", inner.kind)
        if kind == "str":
            return Term(quote_literal(value[1:-1].replace("''", "'")), "text")
        if kind == "num":
            return Term(value, "number")
        if kind == "date":
            return Term(f"DATE {quote_literal(value)}", "time")
        if kind == "time":
            if "/" in value:
                start, end = value.split("/")
                return Term(f"{_time_literal(start)}|{_time_literal(end)}", "interval")
            return Term(_time_literal(value), "time")
        if kind == "geo":
            wkt = value[value.index("'") + 1 : -1]
            return Term(f"ST_GeomFromText({quote_literal(wkt)})", "geometry")
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return Term(lowered.upper(), "bool")
            if lowered == "null":
                return Term("NULL", "any")
            nxt = self.peek()
            if nxt == ("punct", "("):
                return self.call(lowered)
            return self.resolver.resolve(value.split("/"))
        raise QueryError(f"$filter: unexpected {value!r}")

    def call(self, name: str) -> Term:
        self.expect("(")
        self.enter()
        args: list[Term] = []
        if self.peek() != ("punct", ")"):
            args.append(self.or_())
            while self.peek() == ("punct", ","):
                self.take()
                args.append(self.or_())
        self.expect(")")
        self.depth -= 1
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise QueryError(f"$filter: unknown function {name}", hint=f"supported: {', '.join(sorted(FUNCTIONS))}")
        try:
            return fn(args)
        except (IndexError, ValueError) as exc:
            raise QueryError(f"$filter: wrong arguments for {name}") from exc


def _num(term: Term) -> str:
    return f"TRY_CAST({term.sql} AS DOUBLE)" if term.kind in ("json", "text") else term.sql


def _coerce(term: Term, other: Term) -> str:
    if term.kind == "json":
        if other.kind == "number":
            return f"TRY_CAST({term.sql} AS DOUBLE)"
        if other.kind == "bool":
            return f"TRY_CAST({term.sql} AS BOOLEAN)"
    if term.kind == "interval":
        raise QueryError("$filter: compare an interval with before/after/during/overlaps")
    return term.sql


def _interval(term: Term) -> tuple[str, str]:
    if term.kind == "interval":
        start, end = term.sql.split("|")
        return start, end
    return term.sql, term.sql


def _two(sql: str, kind: str = "bool") -> Callable[[list[Term]], Term]:
    return lambda a: Term(sql.format(a[0].sql, a[1].sql), kind)


def _one(sql: str, kind: str) -> Callable[[list[Term]], Term]:
    return lambda a: Term(sql.format(a[0].sql), kind)


def _temporal(op: str) -> Callable[[list[Term]], Term]:
    def build(a: list[Term]) -> Term:
        s1, e1 = _interval(a[0])
        s2, e2 = _interval(a[1])
        sql = {
            "before": f"({e1} < {s2})",
            "after": f"({s1} > {e2})",
            "during": f"({s1} >= {s2} AND {e1} < {e2})",
            "overlaps": f"({s1} < {e2} AND {e1} >= {s2})",
        }[op]
        return Term(sql, "bool")

    return build


FUNCTIONS: dict[str, Callable[[list[Term]], Term]] = {
    "substringof": lambda a: Term(f"contains({a[1].sql}, {a[0].sql})", "bool"),
    "contains": _two("contains({}, {})"),
    "startswith": _two("starts_with({}, {})"),
    "endswith": _two("ends_with({}, {})"),
    "length": _one("length({})", "number"),
    "tolower": _one("lower({})", "text"),
    "toupper": _one("upper({})", "text"),
    "trim": _one("trim({})", "text"),
    "concat": _two("concat({}, {})", "text"),
    "indexof": _two("(strpos({}, {}) - 1)", "number"),
    "year": _one("year({})", "number"),
    "month": _one("month({})", "number"),
    "day": _one("day({})", "number"),
    "hour": _one("hour({})", "number"),
    "minute": _one("minute({})", "number"),
    "second": _one("second({})", "number"),
    "date": _one("CAST({} AS DATE)", "time"),
    "now": lambda a: Term("now()", "time"),
    "round": _one("round({})", "number"),
    "floor": _one("floor({})", "number"),
    "ceiling": _one("ceil({})", "number"),
    "st_within": _two("ST_Within({}, {})"),
    "st_intersects": _two("ST_Intersects({}, {})"),
    "st_contains": _two("ST_Contains({}, {})"),
    "st_disjoint": _two("ST_Disjoint({}, {})"),
    "st_equals": _two("ST_Equals({}, {})"),
    "st_touches": _two("ST_Touches({}, {})"),
    "st_overlaps": _two("ST_Overlaps({}, {})"),
    "st_crosses": _two("ST_Crosses({}, {})"),
    "st_distance": _two("ST_Distance({}, {})", "number"),
    "geo.intersects": _two("ST_Intersects({}, {})"),
    "geo.distance": _two("ST_Distance({}, {})", "number"),
    "geo.length": _one("ST_Length({})", "number"),
    "before": _temporal("before"),
    "after": _temporal("after"),
    "during": _temporal("during"),
    "overlaps": _temporal("overlaps"),
}


def parse_filter(text: str, resolver: Resolver) -> str:
    return FilterParser(tokenize(text), resolver).parse()


def split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current or parts:
        parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


@dataclass
class Options:
    top: int | None = None
    skip: int = 0
    count: bool = False
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    select: list[str] | None = None
    filter: str | None = None
    expand: list[tuple[list[str], Options]] = field(default_factory=list)
    #: the request's parameters that are not query options (``purpose``): a nested expansion's
    #: next link carries them, as the top level's next link does
    carry: list[tuple[str, str]] = field(default_factory=list)


def parse_options(params: dict[str, str], *, nested: bool = False, depth: int = 0) -> Options:
    if depth > MAX_DEPTH:
        raise QueryError(
            f"$expand is nested too deeply (more than {MAX_DEPTH} levels)", hint="expand fewer levels per request"
        )
    opts = Options()
    for raw_key, value in params.items():
        key = raw_key if raw_key.startswith("$") else ("$" + raw_key if nested else raw_key)
        if key == "$top":
            opts.top = _int(value, "$top")
        elif key == "$skip":
            opts.skip = _int(value, "$skip")
        elif key == "$count":
            if value not in ("true", "false"):
                raise QueryError("$count must be true or false")
            opts.count = value == "true"
        elif key == "$orderby":
            for item in split_top_level(value, ","):
                name, _, direction = item.partition(" ")
                if direction.strip().lower() not in ("", "asc", "desc"):
                    raise QueryError(f"$orderby: {direction!r} is neither asc nor desc")
                opts.orderby.append((name.strip(), direction.strip().lower() == "desc"))
        elif key == "$select":
            opts.select = [s.strip() for s in value.split(",") if s.strip()]
        elif key == "$filter":
            opts.filter = value
        elif key == "$expand":
            opts.expand = [_expand_item(item, depth + 1) for item in split_top_level(value, ",")]
        elif key == "$resultFormat":
            # STA 1.1's dataArray extension changes the response's shape; answering the default
            # shape to a client that asked for it would be read wrongly
            raise QueryError(
                f"$resultFormat={value} is not supported by this service",
                hint="leave out $resultFormat: observations are answered in the default JSON format",
            )
        elif key.startswith("$"):
            raise QueryError(f"unknown query option {key}", hint="see the SensorThings API v1.1 query options")
        else:
            opts.carry.append((key, value))
    return opts


def option_params(opts: Options, *, paging: bool = True) -> list[tuple[str, str]]:
    """The query options ``opts`` was parsed from, as ``(name, value)`` pairs (the inverse of
    ``parse_options``, nested expansions included): what a next link of that level carries."""
    params: list[tuple[str, str]] = []
    if opts.filter is not None:
        params.append(("$filter", opts.filter))
    if opts.select is not None:
        params.append(("$select", ",".join(opts.select)))
    if opts.orderby:
        params.append(("$orderby", ",".join(f"{name} desc" if desc else name for name, desc in opts.orderby)))
    if opts.expand:
        params.append(("$expand", ",".join(_expand_text(path, sub) for path, sub in opts.expand)))
    if opts.count:
        params.append(("$count", "true"))
    if paging:
        if opts.top is not None:
            params.append(("$top", str(opts.top)))
        if opts.skip:
            params.append(("$skip", str(opts.skip)))
    return params


def _expand_text(path: list[str], sub: Options) -> str:
    inner = ";".join(f"{k}={v}" for k, v in option_params(sub))
    return "/".join(path) + (f"({inner})" if inner else "")


def _expand_item(item: str, depth: int) -> tuple[list[str], Options]:
    if "(" in item and item.endswith(")"):
        path, inner = item[: item.index("(")], item[item.index("(") + 1 : -1]
        params: dict[str, str] = {}
        for part in split_top_level(inner, ";"):
            k, _, v = part.partition("=")
            params[k.strip()] = v.strip()
        return path.strip().split("/"), parse_options(params, nested=True, depth=depth)
    return item.strip().split("/"), Options()


def _int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"{name} must be a non-negative integer, not {value!r}") from None
    if number < 0:
        raise QueryError(f"{name} must be a non-negative integer, not {value!r}")
    return number
