"""What the previous publication hid stays hidden: the guard's memory across publications.

An outsider who keeps two publications of one table has the equations of both. A revision of one
cell can change the cheapest complement of a small cell of the same period: the new publication
then shows the complement the old one hid, the old one showed the new complement, and the small
cell, the one unknown common to both, follows from the two margins. The rule here is the simple,
safe one: a cell (same table, same key) that the last publication suppressed is forced suppressed
again (``joint``'s forced cells: it is protected by its own pattern like a primary cell), so that
whatever the second publication hides beyond the first's is only more unknowns. New primary cells
get complements as usual; a new period has no memory (its cells were never published).

The memory is the dataset's last suppression report (its ``secrecy_cells_<dataset>`` table in the
ledger, read by ``ledger.remembered_rows``), matched on its key columns as text.
It only grows while the table is published with the same rule set. A rule set relaxed on purpose
(a lower threshold) does not un-hide what the old rule hid: to start afresh an operator runs
``territoria secrecy forget`` (``forget.py``: audited, it sets the report aside as the previous
one, which ``territoria secrecy audit`` compares the next publication with; docs/secrecy.md).

A remembered cell that fails no rule of its own now is reported as ``remembered``, with what it
was when first hidden (``primary`` or ``secondary``, carried along a line of remembering
publications): before, it was reported secondary, and a cell hidden as primary under the old rule
lost that kind in the report, in ``territoria secrecy audit`` and in the next publication's report.

The members of a group (``joint``) are published by steps that may run at the same time: the
second may find the first one's new report. Their reports say on which content the decisions were
taken (``_content``) and which cells were remembered (``_kept``), so that a step finding a report
of its own content remembers what that report remembered: both steps take the same decisions.
"""

from __future__ import annotations

import numpy as np

from territoria.engines.base import Engine
from territoria.governance.secrecy.joint import Member
from territoria.governance.secrecy.primary import relation_columns
from territoria.ledger import remembered_rows

Array = np.ndarray


def previous_hidden(engine: Engine, member: Member, content: str | None = None) -> tuple[Array | None, Array | None]:
    """For each row of ``member``'s flags, whether the last publication of its dataset suppressed
    that cell, and what the cell was when first hidden (``ledger.PRIMARY_CODE`` or
    ``SECONDARY_CODE``; 0 for a cell not hidden); (None, None) when there is no previous report (a
    first publication: nothing to remember) or when its key columns are no longer all columns of
    the table (then nothing matches).

    ``content``: the hash of the cells of the member's group. The members of a group are published
    by steps that may run at the same time, and each must take the same decisions: a report already
    written for this very content (the other member's step of this run, or a run with the same
    inputs) is not the publication before; what that publication remembered (``_kept``) is."""
    columns = relation_columns(engine, member.relation)
    hit = remembered_rows(engine, member.dataset, member.relation, member.row_id, columns, content)
    if hit is None:
        return None, None
    rows = member.flags["_row"].to_numpy()
    found = hit["_row"].to_numpy()
    hidden: Array = np.isin(rows, found)
    was: Array = np.zeros(len(rows), dtype=np.int8)
    if hidden.any():
        codes = hit["_was"].to_numpy(zero_copy_only=False).astype(np.int8)
        order = np.argsort(found, kind="stable")
        was[hidden] = codes[order[np.searchsorted(found, rows[hidden], sorter=order)]]
    return hidden, was


def with_memory(extra: list[Array] | None, memory: list[Array | None], sizes: list[int]) -> list[Array] | None:
    """The forced cells of each member: ``extra`` (the protection loop's complements) and what the
    previous publication hid; ``extra`` itself when nothing is remembered."""
    if all(m is None for m in memory):
        return extra
    base = extra if extra is not None else [np.zeros(n, dtype=bool) for n in sizes]
    return [b if m is None else (b | m) for b, m in zip(base, memory, strict=True)]
