"""The kinds of indicator test: each checks the computed values before anything is published.

A kind is a plugin of the registry's ``territoria.indicator_tests`` group (the built-in ones
are entry points in pyproject.toml): an object with ``needs`` (the test keys it requires, so
that a pack missing one is refused when it loads) and ``failure(engine, table, test)``, which
returns what is wrong with the values in ``table`` (``None`` when the test passes). Secret
cells (``secret`` true) are in ``table`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from territoria.core.registry import registry
from territoria.engines.base import Engine, quote_ident
from territoria.indicators.definition import IndicatorDef, IndicatorTest

INDICATOR_TESTS = "territoria.indicator_tests"


class TestKind(Protocol):
    needs: ClassVar[tuple[str, ...]]

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None: ...


def _count(engine: Engine, sql: str, params: list[object] | None = None) -> int:
    return int(engine.fetch_all(sql, params)[0][0])


class NotNull:
    needs: ClassVar[tuple[str, ...]] = ()

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        col = quote_ident(test.column)
        bad = _count(engine, f"SELECT count(*) FROM {table} WHERE {col} IS NULL AND NOT coalesce(secret, false)")
        return f"{bad} null value(s) in {test.column} outside secret cells" if bad else None


@dataclass(frozen=True)
class Bound:
    """``min``: no value below ``value``; ``max``: none above it."""

    op: str
    needs: ClassVar[tuple[str, ...]] = ("value",)

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        bad = _count(engine, f"SELECT count(*) FROM {table} WHERE {quote_ident(test.column)} {self.op} ?", [test.value])
        return f"{bad} value(s) of {test.column} {self.op} {test.value}" if bad else None


class Unique:
    needs: ClassVar[tuple[str, ...]] = ("columns",)

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        cols = ", ".join(quote_ident(c) for c in test.columns)
        bad = _count(engine, f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
        return f"{bad} duplicated key(s) on ({', '.join(test.columns)})" if bad else None


class RowsMin:
    needs: ClassVar[tuple[str, ...]] = ("value",)

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        n = _count(engine, f"SELECT count(*) FROM {table}")
        return f"{n} row(s), expected at least {test.value}" if n < (test.value or 0) else None


class Expression:
    needs: ClassVar[tuple[str, ...]] = ("sql",)

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        bad = _count(engine, f"SELECT count(*) FROM {table} WHERE NOT ({test.sql})")
        return f"{bad} row(s) break `{test.sql}`" if bad else None


# the built-in kinds, as their entry points name them
NOT_NULL, MIN, MAX, UNIQUE, ROWS_MIN, EXPRESSION = NotNull(), Bound("<"), Bound(">"), Unique(), RowsMin(), Expression()


def indicator_failures(engine: Engine, table: str, ind: IndicatorDef) -> list[str]:
    """What the values in ``table`` fail of ``ind``'s tests."""
    found = (_kind(test.kind).failure(engine, table, test) for test in ind.tests)
    return [f for f in found if f is not None]


def unique_keys(ind: IndicatorDef) -> list[list[str]]:
    """The columns of each of ``ind``'s ``unique`` tests: once ``indicator_failures`` found nothing,
    no two rows of the table it checked share the values of any of them (NULLs counted equal, as
    ``GROUP BY`` does)."""
    return [list(test.columns) for test in ind.tests if isinstance(_kind(test.kind), Unique)]


def _kind(name: str) -> TestKind:
    kind: TestKind = registry.get(INDICATOR_TESTS, name)
    return kind


__all__ = ["INDICATOR_TESTS", "TestKind", "indicator_failures", "unique_keys"]
