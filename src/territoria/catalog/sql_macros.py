"""Macros of a pack's SQL: calls expanded into SQL when the pack's file is read, before anything
else reads it (``ref``, ``param``, an engine's translation), so every engine and every model gets
the same expression from one definition.

``local_projection(geometry, departement)``: the geometry in the official projection of that
part of France (``reference/crs.py``).
``commune_of(code)``: the commune of a 5-character code, that of its commune for a municipal
arrondissement of Paris, Lyon or Marseille (``reference/arrondissements.py``), the code otherwise.
``local_time(instant, code)``: the wall-clock time of a TIMESTAMPTZ in the legal time of the part of
France a commune or station code names (``reference/timezones.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from territoria.core.errors import ConfigError
from territoria.reference.arrondissements import commune_of_sql
from territoria.reference.crs import local_projection_sql
from territoria.reference.timezones import local_time_sql

MACROS: dict[str, Callable[..., str]] = {
    "local_projection": local_projection_sql,
    "commune_of": commune_of_sql,
    "local_time": local_time_sql,
}
CALL = re.compile(r"\b(" + "|".join(MACROS) + r")\s*\(")


def _arguments(sql: str, start: int, label: str) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose parenthesis opens before ``start``, and
    the position after its closing parenthesis (parentheses and quoted text nest)."""
    args, depth, quote, begin = [], 0, "", start
    for i in range(start, len(sql)):
        char = sql[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char in ",)" and not depth:
            args.append(sql[begin:i].strip())
            begin = i + 1
            if char == ")":
                return args, i + 1
    raise ConfigError(f"{label}: a macro call is not closed", hint="check the parentheses after it")


def expand_macros(sql: str, label: str) -> str:
    """``sql`` with every macro call replaced by its SQL."""
    out, pos = [], 0
    while match := CALL.search(sql, pos):
        name = match.group(1)
        args, pos_after = _arguments(sql, match.end(), label)
        try:
            expanded = MACROS[name](*(expand_macros(arg, label) for arg in args))
        except TypeError:
            raise ConfigError(
                f"{label}: {name}() takes {MACROS[name].__code__.co_argcount} arguments, not {len(args)}",
                hint=f"see {__name__}",
            ) from None
        out.extend([sql[pos : match.start()], expanded])
        pos = pos_after
    return "".join(out) + sql[pos:]


__all__ = ["MACROS", "expand_macros"]
