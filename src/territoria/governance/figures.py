"""Which recorded figures a caller sees: a figure is shown only when everything it is made of is readable.

A step's record measures the data it read and wrote: rows in and out, bytes, wall and CPU time,
memory, energy. Each of them says something of those datasets (the ingest of a personal register
takes longer, and lands more bytes, the more persons it holds; a model over it reads its rows). So
a caller who may not read a dataset ``D`` must get answers that do not change when ``D``'s figures
do. The rule, for every route that reports operations figures:

- a step's figures are the caller's when the caller may read every dataset the step read or wrote
  (and the one it is named after); otherwise they are withheld (``None``), its existence and status
  left (the catalog lists the datasets on purpose);
- an aggregate (a run's totals, a pack's or a day's energy, the storage) is shown as recorded when
  every step in it is the caller's, and otherwise recomputed over the caller's steps, or withheld
  when it cannot be split (a run's wall time, the store's size).

A step's times are figures of the steps before it too: the steps of a run follow one another, so
a step's start is the end of the one before (give or take), and the start of the step after a
closed one bounds that one's wall time. So:

- a step record of a run with a step the caller does not see says the run's start as its own
  (``at_run_start``), its end withheld, listed in an order no duration moves (by step name);
- a dataset's last update, shown to everyone (catalogs, DCAT, provenance, a dataset's cost), is
  the start of the run that wrote it (``ledger.dataset_states``), not of its step.

Administrators read every dataset, so they see everything as recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

#: an ingest step's input is the payload it landed: that payload is its dataset's
LANDED = "landing:"

#: the measured figures of a step record (the ledger's ``step_runs`` columns and the footprint);
#: ``ended_at`` too, since with ``started_at`` it gives the step's wall time
STEP_FIGURES = (
    "ended_at",
    "rows_in",
    "rows_out",
    "rows_quarantined",
    "bytes_read",
    "bytes_written",
    "wall_s",
    "cpu_s",
    "peak_rss_bytes",
    "footprint",
)

#: the figures of a run record that add up its steps' (the run's wall time is its end minus its start)
RUN_FIGURES = ("ended_at", "wall_s", "cpu_s", "footprint")

MayRead = Callable[[str], bool]


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def datasets_of(record: Mapping[str, Any]) -> list[str]:
    """The datasets a step record is made of: those it read and wrote, and the one it is named
    after (``ingest:<dataset>``; a step that failed before recording its outputs still names it)."""
    found = [n for key in ("inputs", "outputs") for n in _names(record.get(key)) if not n.startswith(LANDED)]
    step = str(record.get("step") or "")
    if ":" in step:
        found.append(step.split(":", 1)[1])
    return found


def step_visible(record: Mapping[str, Any], may_read: MayRead) -> bool:
    """Whether the caller sees a step record's figures: it may read every dataset they are made of."""
    return all(may_read(name) for name in datasets_of(record))


def at_run_start(record: MutableMapping[str, Any], run_started_at: Any) -> None:
    """Give a step record the times a caller who does not see every step of its run gets: its
    run's start as its own start, its end withheld (see the module's docstring)."""
    record["started_at"] = run_started_at
    withhold(record, ("ended_at",))


def in_stable_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Step records in an order that no step's duration moves (steps run side by side start in
    the order the earlier ones end): by step name, then run."""
    return sorted(records, key=lambda r: (str(r.get("step") or ""), str(r.get("run_id") or "")))


def withhold(record: MutableMapping[str, Any], keys: Iterable[str]) -> None:
    """Blank the figures ``keys`` of ``record`` (those it has)."""
    for key in keys:
        if key in record:
            record[key] = None
