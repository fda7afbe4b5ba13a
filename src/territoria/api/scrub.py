"""What run records, reports and errors show to callers who are not administrators.

An error message can quote the value that failed (``Could not convert string 'Jean Dupont ...'``),
a report can list rows or cells, and a secrecy report says which cells are primary and under
which rule, which is itself a disclosure. Non-administrators get the error's presence, never its
text, and of a report only its counters (numbers under names that carry no cell or label).
Administrators see everything.
"""

from __future__ import annotations

from typing import Any

from territoria.governance.access import Principal

HIDDEN_ERROR = "(hidden: an administrator reads the error in the run's record)"
#: report keys that may name cells, rows or secrecy labels even when their value is a number
UNSAFE = ("primary", "secondary", "cell", "sample", "value", "example", "rule", "masked", "suppress")


def error(who: Principal, text: str | None) -> str | None:
    if text is None or who.admin:
        return text
    return HIDDEN_ERROR


def report(who: Principal, found: dict[str, Any]) -> dict[str, Any]:
    if who.admin:
        return found
    return {
        k: v
        for k, v in found.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and not any(u in k.lower() for u in UNSAFE)
    }
