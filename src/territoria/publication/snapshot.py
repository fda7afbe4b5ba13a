"""Publication snapshots: what the API serves, written at the end of each run.

DuckDB lets one process write a store file, and ``territoria run`` must keep working while
``territoria serve`` answers requests, so the server never opens the store. At the end of a run
the publishing run hook (``publication/hooks.py``) copies every ``published.*`` table, the run
records and the catalog into ``.territoria/publication/<run_id>/`` (Parquet and JSON), then
switches ``current.json`` to it with an atomic rename: a reader sees the previous publication
or the new one, never a half.

Tables whose content hash did not change are hard-linked from the previous snapshot, so an
incremental run costs little; so are the parts of the run history earlier snapshots wrote.
The last ``KEEP`` snapshots stay on disk for readers still busy with an older one. The catalog
and boundaries a snapshot holds are written by ``snapshot_catalog``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from territoria.core.errors import NotFoundError
from territoria.core.jsonfile import drop_stale_temps, write_json
from territoria.engines.base import Engine
from territoria.ledger import dataset_fingerprints, ensure_meta, now, record_relation, runs_in, success_definitions
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import DatasetInfo, IngestStep
from territoria.pipelines.summary import DatasetStatus
from territoria.publication.quarantine import link_quarantine, write_quarantine
from territoria.publication.snapshot_catalog import Columns, copy_parquet, link_catalog, write_catalog
from territoria.publication.snapshot_catalog import source_updates as source_updates  # its former home
from territoria.workspace import Workspace

KEEP = 3
CURRENT = "current.json"
#: record tables copied whole into each snapshot (one row per run, dataset or source)
META_TABLES = ("runs", "datasets", "source_state")
#: append-only record tables, one row per step, edge or fetch of a run: each snapshot adds one
#: Parquet part with the runs no earlier part holds and hard-links the earlier parts, so a run
#: costs the same after ten thousand runs as after ten
HISTORY_TABLES = ("step_runs", "lineage", "fetches")


@dataclass(frozen=True)
class Snapshot:
    run_id: str
    path: Path


def publication_dir(ws: Workspace) -> Path:
    return ws.private / "publication"


def current_snapshot(ws_private: Path) -> Snapshot | None:
    """The snapshot ``current.json`` points to, or ``None`` before the first publication."""
    pointer = ws_private / "publication" / CURRENT
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    path = pointer.parent / data["run_id"]
    if not (path / "manifest.json").is_file():
        raise NotFoundError(
            f"the current publication {data['run_id']} is missing on disk",
            hint="run `territoria run` (or `territoria serve`, which republishes) to write a new one",
        )
    return Snapshot(data["run_id"], path)


def published_columns(ws_private: Path) -> dict[str, list[str]] | None:
    """The columns of each dataset the current publication serves (from its catalog), or None
    when there is none to read (before the first publication, or one missing on disk)."""
    try:
        found = current_snapshot(ws_private)
        if found is None:
            return None
        catalog = json.loads((found.path / "catalog.json").read_text(encoding="utf-8"))
    except (NotFoundError, OSError, ValueError):
        return None
    return {
        d["id"]: [f["name"] for f in (d.get("schema") or {}).get("fields", [])]
        for d in catalog["datasets"]
        if d.get("published")
    }


def _all_columns(engine: Engine) -> Columns:
    """Every table's columns, in one catalog query on DuckDB (one per dataset costs ~1 ms each).
    Another engine's catalog names its schemas and types its own way (a schema prefix on a
    shared PostgreSQL, ``character varying``): its ``columns()`` gives them in DuckDB's terms.
    ``duckdb_columns()`` without its internal rows is what ``information_schema.columns`` shows
    (the same rows and type names), for a fifth less work per table: the view adds columns to it."""
    if engine.capabilities.sql_dialect != "duckdb":
        return {(schema, table): engine.columns(schema, table) for schema, table in sorted(engine.tables())}
    out: Columns = {}
    for schema, table, col, typ in engine.fetch_all(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal "
        "ORDER BY schema_name, table_name, column_index"
    ):
        out.setdefault((schema, table), []).append((col, typ))
    return out


def _write_published(
    engine: Engine,
    plan: Plan,
    target: Path,
    previous: dict[str, Any],
    present: Collection[tuple[str, str]],
    columns: Callable[[], Columns],
) -> dict[str, Any]:
    hashes = dataset_fingerprints(engine)
    made_with = cache(partial(success_definitions, engine))  # read when a table is copied, not linked
    tables: dict[str, Any] = {}
    (target / "published").mkdir()
    for key, info in plan.datasets.items():
        if info.layer != "published" or ("published", info.name) not in present:
            continue
        digest, rows = hashes.get(key, (None, None))
        rel = f"published/{info.name}.parquet"
        old = previous.get(info.name)
        old_file = Path(old["path"]) if old else None
        if old and digest and old.get("hash") == digest and old_file and old_file.is_file():
            os.link(old_file, target / rel)
        else:
            select = _in_canonical_order(engine, info, unique_key(plan, info, made_with), columns)
            copy_parquet(engine, select, target / rel)
        tables[info.name] = {"file": rel, "hash": digest, "rows": rows}
    return tables


def _in_canonical_order(engine: Engine, info: DatasetInfo, key: list[str], columns: Callable[[], Columns]) -> str:
    """The published table's rows sorted on every column, first to last: a model without an ORDER
    BY comes out of a parallel engine in an order that changes with its threads and from one run
    to the next, and the same rows must give the same file, byte for byte (issue 18). Rows equal
    on every column are interchangeable, so the order is total on what the file holds.

    When the table has a unique ``key`` (``unique_key``) among its first columns, the sort stops
    at the last of them: no two rows are equal there, so the columns after it never decide, and
    the order (the file) is the one every column gives, for less work (a sort on every column of
    a wide table encodes each of them, strings and doubles included). ``columns`` lists every
    table's columns (``_all_columns``), once per snapshot, when some table needs them."""
    select = f"SELECT * FROM {info.qualified}"
    if engine.capabilities.sql_dialect == "duckdb" and not key:
        return select + " ORDER BY ALL"
    names = [c for c, _ in columns().get(("published", info.name), [])]
    leading = max(names.index(k) for k in key) + 1 if key and set(key) <= set(names) else len(names)
    if engine.capabilities.sql_dialect == "duckdb" and leading == len(names):
        return select + " ORDER BY ALL"
    return select + (f" ORDER BY {', '.join(str(i) for i in range(1, leading + 1))}" if leading else "")


def unique_key(plan: Plan, info: DatasetInfo, made_with: Callable[[], Mapping[str, str]]) -> list[str]:
    """The columns no two published rows of ``info`` share, or [] when that is not guaranteed.

    A source's ``primaryKey`` is checked by its ingest (``validation/tableschema.py``): a row
    repeating the key of another goes to the quarantine, not to staging. That check compares the
    rows whose key has no NULL only, so the key holds on every row when each of its fields is
    ``required`` and has no ``secretValues`` (a masked value is NULL and passes ``required``). The
    published table must be the staging table as validated: a guard (``secrecy``) may rewrite it.

    The key is the plan's entry's only when the staging rows were validated with it: ``made_with``
    gives each step's definition when it last succeeded (``success_definitions``). A schema edit
    adding a key whose ingest failed (or waits) leaves rows an earlier definition validated, never
    checked against this key: they sort on every column."""
    if info.secrecy:
        return []
    producer = plan.steps.get(plan.producers.get(info.name, ""))
    schema = producer.entry.schema_ if isinstance(producer, IngestStep) else None
    if producer is None or schema is None or not schema.primary_key:
        return []
    fields = {f.name: f for f in schema.fields}
    for name in schema.primary_key:
        field = fields.get(name)
        if field is None or not field.constraints.required or field.secretValues:
            return []
    return schema.primary_key if made_with().get(producer.id) == producer.definition_hash else []


def _previous(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The current snapshot's folder and manifest, if there is a readable one."""
    try:
        snap = current_snapshot(root.parent)
    except NotFoundError:
        return None
    if snap is None:
        return None
    return snap.path, json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))


def _previous_tables(previous: tuple[Path, dict[str, Any]] | None) -> dict[str, Any]:
    """Published tables of the current snapshot, with absolute paths, for hard-linking."""
    if previous is None:
        return {}
    path, manifest = previous
    return {k: {**v, "path": str(path / v["file"])} for k, v in manifest["tables"].items()}


def _write_meta(
    engine: Engine, target: Path, previous: tuple[Path, dict[str, Any]] | None, run_id: str
) -> dict[str, dict[str, list[str]]]:
    """Record tables: small ones whole, history ones as parts (see ``HISTORY_TABLES``).
    Returns, for each history table, its part files and the runs each holds."""
    (target / "meta").mkdir()
    for name in META_TABLES:
        copy_parquet(engine, f"SELECT * FROM {record_relation(name)}", target / "meta" / f"{name}.parquet")
    old_parts = previous[1].get("history", {}) if previous else {}
    history: dict[str, dict[str, list[str]]] = {}
    # the runs each table holds, then the new ones by difference: the SQL names the few new runs,
    # never the thousands of old ones
    held = runs_in(engine, HISTORY_TABLES)
    for name in HISTORY_TABLES:
        folder = target / "meta" / name
        folder.mkdir()
        parts: dict[str, list[str]] = {}
        for file, runs in old_parts.get(name, {}).items():
            old = previous[0] / "meta" / name / file if previous else None
            if old is not None and old.is_file():
                os.link(old, folder / file)
                parts[file] = runs
        covered = {r for runs in parts.values() for r in runs}
        runs = sorted(held[name] - covered)
        if runs or not parts:  # an empty part keeps the table's columns for readers
            file = f"{run_id}.parquet"
            copy_parquet(engine, f"SELECT * FROM {record_relation(name, only_runs=runs)}", folder / file)
            parts[file] = runs
        history[name] = parts
    return history


def write_snapshot(
    ws: Workspace,
    engine: Engine,
    plan: Plan,
    run_id: str,
    *,
    state: str | None = None,
    statuses: list[DatasetStatus] | None = None,
) -> Snapshot:
    """Copy what is published into a new snapshot and make it current (atomically).

    ``state`` is the digest of what the catalog shows (``publication.hooks.publication_state``),
    kept in the manifest: when the current snapshot has the same one (a run that changed nothing),
    its catalog and boundaries are hard-linked rather than computed again; the run records are
    always brought up to date, so the API's run history holds every run. ``statuses`` are the
    datasets' statuses (``dataset_status``) when the caller has read them already."""
    ensure_meta(engine)
    root = publication_dir(ws)
    root.mkdir(parents=True, exist_ok=True)
    final = root / run_id
    work = root / f".{run_id}.part"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        previous = _previous(root)
        # every table's columns, read when first needed (a run that changed nothing reads none)
        # and then shared by the published tables' sort and the catalog
        columns = cache(partial(_all_columns, engine))
        relink = state is not None and previous is not None and previous[1].get("state") == state
        # the catalog reads every table's columns anyway: the tables present are their keys
        present = engine.tables() if relink else set(columns())
        tables = _write_published(engine, plan, work, _previous_tables(previous), present, columns)
        history = _write_meta(engine, work, previous, run_id)
        if relink and previous is not None:
            link_catalog(previous[0], work)
            boundaries, names = previous[1].get("boundaries"), bool(previous[1].get("names"))
            quarantine = link_quarantine(previous[0], work, previous[1].get("quarantine") or {})
        else:
            boundaries, names = write_catalog(ws, engine, plan, work, columns(), statuses)
            quarantine = write_quarantine(engine, plan, work, set(columns()))
        cfg = ws.config
        manifest = {
            "run_id": run_id,
            "created_at": now().isoformat(),
            "territory": cfg.model_dump(
                mode="json", include={"name", "slug", "epci", "epci_name", "communes", "communes_without_boundary"}
            ),
            "tables": tables,
            "history": history,
            # the boundaries' dataset id (``role: boundaries``), or None: readers never guess a name
            "boundaries": boundaries,
            "names": names,
            "state": state,
            # dataset -> its quarantined rows (``publication/quarantine.py``), served at its access level
            "quarantine": quarantine,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    write_json(root / CURRENT, {"run_id": run_id})
    drop_stale_temps(root)  # a switch a killed run left half-written
    _prune(root, keep=final)
    return Snapshot(run_id, final)


def _made_at(snapshot: Path) -> str:
    """When a snapshot was made (its manifest's ``created_at``): run ids begin with the second only,
    so two runs in the same second do not sort by name in the order they were made."""
    try:
        return str(json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))["created_at"])
    except (OSError, ValueError, KeyError):
        return ""  # unreadable: the oldest


def _prune(root: Path, keep: Path) -> None:
    snapshots = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: (_made_at(p), p.name)
    )
    for old in [p for p in snapshots if p != keep][: max(0, len(snapshots) - KEEP)]:
        shutil.rmtree(old, ignore_errors=True)
