"""Counts in messages: "1 row", "2 rows", "0 rows" (English: only one is singular), numbers grouped
by thousands with a narrow no-break space ("12 345 rows") as the CLI's tables write them."""

from __future__ import annotations


def grouped(n: int, separator: str = "\u202f") -> str:
    """``n`` with its thousands separated by ``separator`` (a narrow no-break space by default)."""
    return f"{n:,}".replace(",", separator)


def noun(n: int, singular: str, plural: str | None = None) -> str:
    """The form of a noun that ``n`` of it takes: ``plural`` (default: ``singular`` + s) unless one."""
    return singular if n == 1 else plural or f"{singular}s"


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun in the form it takes: ``counted(1, "row")`` is "1 row"."""
    return f"{grouped(n)} {noun(n, singular, plural)}"


__all__ = ["counted", "grouped", "noun"]
