"""What run records, reports and errors show to callers who are not administrators.

An error message can quote the value that failed (``Could not convert string 'Jean Dupont ...'``),
a report can list rows or cells, and a secrecy report says which cells are primary and under
which rule, which is itself a disclosure. Non-administrators get the error's presence, never its
text, and of a report only its counters (numbers under names that carry no cell or label).
Administrators see everything. Counts of rows (and bytes) of a dataset the caller may not read
are data too (the size of a personal register): they are blanked (``counts``). A content hash
is a fingerprint of a table's rows (whoever holds a candidate table can confirm it), so lineage
shows those of closed datasets, and of the payloads landed for them, to administrators only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from territoria.governance.access import Principal
from territoria.governance.figures import withhold

HIDDEN_ERROR = "(hidden: an administrator reads the error in the run's record)"
#: report keys that may name cells, rows or secrecy labels even when their value is a number
UNSAFE = ("primary", "secondary", "remember", "cell", "sample", "value", "example", "rule", "masked", "suppress")


#: what a record says of a dataset's rows: counted data, shown only to those who may read the rows
#: (a personal register's row count is the number of persons in it)
COUNTS = ("rows", "quarantined", "rows_in", "rows_out", "rows_quarantined", "bytes_read", "bytes_written")


def counts(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its counts of rows (and bytes) blanked, for a caller who may not read the data."""
    withhold(record, COUNTS)
    return record


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


def lineage(
    who: Principal,
    tree: dict[str, Any] | None,
    closed: Callable[[str], bool],
    protected: Callable[[str], bool] = lambda _: False,
) -> dict[str, Any] | None:
    """A lineage tree (``LineageNode.as_dict``) without the hashes of closed datasets (``closed(name)``)
    and of their landed payloads, for callers who are not administrators; nor those of a table a
    secrecy guard protects (``protected(name)``) and of everything it is made from: they hold the
    values suppressed at publication, which a fingerprint lets anyone confirm by trying them."""
    if tree is None or who.admin:
        return tree
    return _walk(tree, False, False, closed, protected)


def _walk(
    node: dict[str, Any],
    hide: bool,
    below_protected: bool,
    closed: Callable[[str], bool],
    protected: Callable[[str], bool],
) -> dict[str, Any]:
    """A module-level function, not a closure calling itself: that closure held itself through its
    cell, a reference cycle per request for the garbage collector."""
    name = str(node.get("name"))
    guarded = below_protected or protected(name)
    hidden = guarded or (hide if node.get("layer") == "landing" else closed(name))
    out = dict(node)
    if hidden:
        out["hash"] = None
        if node.get("layer") == "landing":
            out["name"] = "(landed payload: hidden)"
    out["children"] = [_walk(c, hidden, guarded, closed, protected) for c in node.get("children", [])]
    return out
