"""Row counts that mean the file lost its data: fail the step, keep the previous publication.

A header-only file, a file whose every row is quarantined, or one with far fewer rows than the
last successful ingest of the same dataset is almost always a producer's mistake (an export cut
short, a filter left on). Publishing it would empty or gut the table downstream users rely on;
failing the step keeps the previous publication, and the error says what was seen.
"""

from __future__ import annotations

from typing import Any

from territoria.catalog.model import TableSchema
from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine
from territoria.ledger import META, dataset_states

#: a new file with fewer than this share of the previous valid rows fails (schema key ``maxRowDrop``)
MAX_ROW_DROP = 0.5


def check_volume(engine: Engine, stats: dict[str, Any], schema: TableSchema | None, dataset: str | None) -> None:
    total, valid = stats["rows_in"], stats["rows_valid"]
    if total == 0:
        raise DataError(
            "the file holds no data row (a header alone, or an empty collection)",
            hint="check that the source published data; the previous version is kept",
        )
    if valid == 0:
        reasons = ", ".join(f"{k} ({v})" for k, v in list(stats["reasons"].items())[:3])
        raise DataError(
            f"none of the {total} rows is valid: all were quarantined ({reasons})",
            hint="check the file against the source's schema; the previous version is kept",
        )
    previous = _previous_rows(engine, dataset)
    allowed = _max_drop(schema)
    if previous and valid < previous * (1 - allowed):
        raise DataError(
            f"{valid} valid rows, {100 * (previous - valid) // previous}% fewer than the {previous} of the "
            f"previous ingest of {dataset!r} (more than {allowed:.0%} fewer is taken for a cut-short file)",
            hint="check the file; if the producer really removed rows, set `maxRowDrop: 1` in the source's "
            "schema for one run; the previous version is kept",
        )


def _previous_rows(engine: Engine, dataset: str | None) -> int | None:
    if dataset is None or not engine.table_exists(META, "datasets"):
        return None
    state = dataset_states(engine).get(dataset)
    return int(state[1]) if state and state[1] is not None else None


def _max_drop(schema: TableSchema | None) -> float:
    value = (schema.model_extra or {}).get("maxRowDrop", MAX_ROW_DROP) if schema else MAX_ROW_DROP
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ConfigError(
            f"`maxRowDrop` in the schema must be a share between 0 and 1, not {value!r}",
            hint=f"for instance {MAX_ROW_DROP} (the default): fail when rows fall by more than half",
        )
    return float(value)
