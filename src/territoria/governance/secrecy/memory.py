"""What the previous publication hid stays hidden: the guard's memory across publications.

An outsider who keeps two publications of one table has the equations of both. A revision of one
cell can change the cheapest complement of a small cell of the same period: the new publication
then shows the complement the old one hid, the old one showed the new complement, and the small
cell, the one unknown common to both, follows from the two margins. The rule here is the simple,
safe one: a cell (same table, same key) that the last publication suppressed is forced suppressed
again (``joint``'s forced cells: it is protected by its own pattern like a primary cell), so that
whatever the second publication hides beyond the first's is only more unknowns. New primary cells
get complements as usual; a new period has no memory (its cells were never published).

The memory is the dataset's last suppression report (``_territoria.secrecy_cells_<dataset>``),
matched on its key columns as text (a key column retyped between two publications still matches).
It only grows while the table is published with the same rule set. A rule set relaxed on purpose
(a lower threshold) does not un-hide what the old rule hid: ``territoria secrecy forget`` clears a
dataset's memory, by an operator's explicit, logged decision (see docs/secrecy.md).

The members of a group (``joint``) are published by steps that may run at the same time: the
second may find the first one's new report. Their reports say on which content the decisions were
taken (``_content``) and which cells were remembered (``_kept``), so that a step finding a report
of its own content remembers what that report remembered: both steps take the same decisions.
"""

from __future__ import annotations

import numpy as np

from territoria.engines.base import Engine, quote_ident
from territoria.governance.secrecy.joint import Member
from territoria.governance.secrecy.primary import relation_columns
from territoria.ledger import report_cells

Array = np.ndarray


def previous_hidden(engine: Engine, member: Member, content: str | None = None) -> Array | None:
    """For each row of ``member``'s flags, whether the last publication of its dataset suppressed
    that cell; None when there is no previous report (a first publication: nothing to remember)
    or when its key columns are no longer all columns of the table (then nothing matches).

    ``content``: the hash of the cells of the member's group. The members of a group are published
    by steps that may run at the same time, and each must take the same decisions: a report already
    written for this very content (the other member's step of this run, or a run with the same
    inputs) is not the publication before; what that publication remembered (``_kept``) is."""
    found = report_cells(engine, member.dataset)
    if found is None:
        return None
    table, keys = found
    columns = set(relation_columns(engine, member.relation))
    if not keys or any(k not in columns for k in keys):
        return None
    where = ""
    if content is not None and {"_kept", "_content"} <= set(relation_columns(engine, table)):
        same = engine.fetch_all(f"SELECT 1 FROM {table} WHERE _content = ? LIMIT 1", [content])
        where = " WHERE c._kept" if same else ""
    on = " AND ".join(
        f"CAST(r.{quote_ident(k)} AS VARCHAR) IS NOT DISTINCT FROM CAST(c.{quote_ident(k)} AS VARCHAR)" for k in keys
    )
    hit = engine.fetch_arrow(
        f"SELECT DISTINCT r.{member.row_id} AS _row FROM {member.relation} r JOIN {table} c ON {on}{where}"
    )
    rows = member.flags["_row"].to_numpy()
    hidden: Array = np.isin(rows, hit["_row"].to_numpy())
    return hidden


def with_memory(extra: list[Array] | None, memory: list[Array | None], sizes: list[int]) -> list[Array] | None:
    """The forced cells of each member: ``extra`` (the protection loop's complements) and what the
    previous publication hid; ``extra`` itself when nothing is remembered."""
    if all(m is None for m in memory):
        return extra
    base = extra if extra is not None else [np.zeros(n, dtype=bool) for n in sizes]
    return [b if m is None else (b | m) for b, m in zip(base, memory, strict=True)]
