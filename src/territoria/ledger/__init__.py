"""The ledger: the run records a store keeps about itself, in its ``_territoria`` schema.

Runs, step records, fetches, source state, dataset fingerprints, step state, lineage and the
secrecy suppression report. This package is their only owner: the tables are declared in
``schema.py``, their rows typed in ``rows.py``, and every write and read is a function of
``writes.py`` and ``reads.py``; no SQL on these tables lives anywhere else (a test greps for it).
It sits right above the engines in the layering, so the runner, the footprint meter, the
secrecy guard and the publication all reach the records the same way.
"""

from territoria.ledger.checkpoint import COMPACT_EVERY, checkpoint
from territoria.ledger.reads import (
    IN_LIST,
    current_inputs,
    dataset_fingerprints,
    dataset_hashes,
    dataset_states,
    fetch_history,
    has_records,
    last_real_costs,
    last_step_status,
    raw_origins,
    recent_runs,
    record_relation,
    run_history,
    run_steps,
    runs_in,
    source_changes,
    source_checks,
    source_state,
    source_states,
    step_history,
    step_keys,
    success_definitions,
)
from territoria.ledger.rows import DatasetRow, FetchRow, LineageRow, RunClose, RunStart, StepRecord, StepStateRow, now
from territoria.ledger.schema import META, REPORTS, SUPPRESSIONS, TABLES, ensure_meta, ensure_reports
from territoria.ledger.suppressions import (
    STATUS,
    cells_table,
    remembered_rows,
    suppressed_cells,
    suppression_counts,
    suppression_examples,
    write_suppressions,
)
from territoria.ledger.writes import (
    arrow_rows,
    close_run,
    start_run,
    write_fetch,
    write_fetches,
    write_state,
    write_step_records,
)

__all__ = [
    "COMPACT_EVERY",
    "IN_LIST",
    "META",
    "REPORTS",
    "STATUS",
    "SUPPRESSIONS",
    "TABLES",
    "DatasetRow",
    "FetchRow",
    "LineageRow",
    "RunClose",
    "RunStart",
    "StepRecord",
    "StepStateRow",
    "arrow_rows",
    "cells_table",
    "checkpoint",
    "close_run",
    "current_inputs",
    "dataset_fingerprints",
    "dataset_hashes",
    "dataset_states",
    "ensure_meta",
    "ensure_reports",
    "fetch_history",
    "has_records",
    "last_real_costs",
    "last_step_status",
    "now",
    "raw_origins",
    "recent_runs",
    "record_relation",
    "remembered_rows",
    "run_history",
    "run_steps",
    "runs_in",
    "source_changes",
    "source_checks",
    "source_state",
    "source_states",
    "start_run",
    "step_history",
    "step_keys",
    "success_definitions",
    "suppressed_cells",
    "suppression_counts",
    "suppression_examples",
    "write_fetch",
    "write_fetches",
    "write_state",
    "write_step_records",
    "write_suppressions",
]
