"""The record tables are declared once, in ``territoria.ledger``, with layouts that do not move."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

import territoria
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.ledger import META, TABLES, ensure_meta, ensure_reports
from territoria.ledger.schema import DATASETS, DDL, LINEAGE, STEP_RUNS, STEP_STATE, has_table

SRC = Path(territoria.__file__).parent
#: SQL on the record tables: the schema's literal name, or a write through the META constant
RECORD_SQL = re.compile(r"_territoria\.|(INSERT( OR REPLACE)? INTO|UPDATE|DELETE FROM|CREATE TABLE[A-Z ]*) \{META\}")
#: files allowed to keep such SQL, each with the reason (an entry whose file no longer has it fails)
ALLOWED: set[str] = set()


def test_a_fresh_store_holds_only_declared_record_tables(engine: DuckDBEngine) -> None:
    ensure_reports(engine)
    found = {name for schema, name in engine.tables() if schema == META}
    assert found == set(TABLES)


def test_has_table_trusts_ensure_meta_only_for_the_tables_it_creates() -> None:
    store = open_duckdb(None)
    assert not any(has_table(store, t) for t in TABLES)  # a store no run opened: the catalog says so
    ensure_meta(store)
    created = {t for t in TABLES if has_table(store, t)}
    on_demand = {"secrecy_reports", "secrecy_previous"}
    assert created == set(TABLES) - on_demand == {n for s, n in store.tables() if s == META}
    ensure_reports(store)
    assert has_table(store, "secrecy_reports")
    store.close()


def test_no_module_outside_the_ledger_writes_record_sql() -> None:
    offenders = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("ledger/"):
            continue
        if RECORD_SQL.search(path.read_text(encoding="utf-8")):
            offenders.add(rel)
    assert offenders == {a for a in ALLOWED if (SRC / a).exists()}


@pytest.mark.parametrize(
    ("table", "schema"),
    [("step_runs", STEP_RUNS), ("datasets", DATASETS), ("step_state", STEP_STATE), ("lineage", LINEAGE)],
)
def test_arrow_schemas_follow_the_tables_column_order(engine: DuckDBEngine, table: str, schema: pa.Schema) -> None:
    assert [c for c, _ in engine.columns(META, table)] == schema.names


def test_layouts_are_the_ones_snapshots_copy(engine: DuckDBEngine) -> None:
    """Snapshots copy ``SELECT *`` of these tables: a reordered column changes every snapshot's bytes."""
    layout = {t: [c for c, _ in engine.columns(META, t)] for t in ("runs", "source_state", "fetches")}
    assert layout == {
        "runs": [
            *("run_id", "started_at", "ended_at", "status", "command", "steps_total", "steps_run"),
            *("steps_skipped", "steps_failed", "wall_s", "cpu_s", "error", "footprint"),
        ],
        "source_state": ["dataset", "state", "sha256", "checked_at", "changed_at"],
        "fetches": [
            *("run_id", "dataset", "kind", "url", "status", "changed", "bytes", "sha256", "request", "headers"),
            "fetched_at",
        ],
    }


def test_a_store_from_before_the_footprint_meter_still_opens() -> None:
    old = open_duckdb(None)
    for ddl in DDL:
        if "footprint" not in ddl or ddl.startswith("CREATE"):
            old.execute(ddl)
    for table in ("runs", "step_runs"):  # the layout those stores had
        old.execute(f"ALTER TABLE {META}.{table} DROP COLUMN footprint")
    old.execute(f"INSERT INTO {META}.runs (run_id, status) VALUES ('killed', 'running')")
    ensure_meta(old)
    assert [c for c, _ in old.columns(META, "step_runs")][-1] == "footprint"
    assert old.fetch_all(f"SELECT status, footprint FROM {META}.runs") == [("interrupted", None)]
    old.close()
