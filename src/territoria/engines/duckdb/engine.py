"""DuckDB engine, pinned to 1.5.5 so that the spatial extension loads from its PyPI wheel.

Extensions are never downloaded: auto-install and auto-load are off and the spatial extension
is loaded from the file shipped in the ``duckdb-extension-spatial`` wheel, so geometry works on
a machine with no network. It is loaded lazily, by the first statement that needs it (loading
it costs 0.2-0.6 s per connection, and ``status``, a no-change run or a publication switch in
the server need none of it): GEOMETRY is a core type of DuckDB 1.5, so tables with geometry
columns open and copy without it; a statement naming a spatial function (``ST_*``, GDAL) loads
it first, and any statement DuckDB refuses because a function "exists in the spatial
extension" loads it and runs again (a binding error runs nothing and leaves a transaction open).
DuckDB itself refuses a second writer process on the same file; the workspace lock
(``workspace.lock``) turns that into a clear message before we get here.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from territoria.core.errors import EngineError, WorkspaceLockedError
from territoria.engines.base import Capabilities, TableWrite, quote_ident, quote_literal
from territoria.engines.duckdb import options as engine_options
from territoria.engines.duckdb import spill
from territoria.engines.duckdb.params import inlined
from territoria.engines.pack_errors import DUCKDB_ERROR_MACRO

if TYPE_CHECKING:  # Arrow only types these signatures: importing the engine does not load it
    import pyarrow as pa

CAPABILITIES = Capabilities(
    name="duckdb",
    embedded=True,
    spatial=True,
    transactional_ddl=True,
    concurrent_writers=False,
    reads_files=True,
    sql_dialect="duckdb",
    ordered_rowid=True,
    store_files=("store.duckdb", "store.duckdb.wal"),
)


#: the storage format of the store files this engine creates (a file keeps the format it was created
#: in). DuckDB's default writes what DuckDB 0.10.2 can read, and to do so converts every column's
#: distinct-count sketch (HyperLogLog) to that version's layout at each checkpoint, a conversion that
#: grows with the column's distinct values: on the ledger's history tables it was half of a run's
#: checkpoint (``bench/orchestration.py``). The pinned DuckDB's own format stores the sketch as it is.
STORAGE_VERSION = "v1.5.0"

#: at most this much freed memory is kept by DuckDB's allocator when no memory limit is set
MAX_FLUSH_THRESHOLD = 8 * 1024**3


def default_flush_threshold() -> str:
    """Freed memory kept when no memory limit is set: a quarter of the machine's memory, at most
    8 GB, so that a long-running process (``territoria up``) never sits on most of a small
    machine's memory after one large statement."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: keep DuckDB's own small default
        return "128MB"
    return f"{min(MAX_FLUSH_THRESHOLD, physical // 4) // 1024**2}MB"


def _extension_file(name: str) -> Path:
    module = importlib.import_module(f"duckdb_extension_{name}")
    base = Path(next(iter(module.__path__))) / "extensions" / f"v{duckdb.__version__}"
    candidate = base / f"{name}.duckdb_extension"
    if not candidate.exists():
        raise EngineError(
            f"the DuckDB {name} extension for DuckDB {duckdb.__version__} is not installed",
            hint=f"install duckdb-extension-{name}=={duckdb.__version__} (it is pinned in requirements.lock)",
        )
    return candidate


#: statements that certainly need the spatial extension (anything else is retried on DuckDB's hint)
SPATIAL_SQL = re.compile(r"\bst_\w+\s*\(|\bgdal\b|_2d\b", re.IGNORECASE)


def spatial_sql(sql: str) -> bool:
    """``SPATIAL_SQL`` finds something in ``sql``. Every statement of a run is asked this until
    spatial is loaded: the regex scans the text position by position, so it only runs when the
    lowered text holds one of its literal parts (about 15 times cheaper on a step's statement)."""
    lowered = sql.lower()
    return ("st_" in lowered or "gdal" in lowered or "_2d" in lowered) and SPATIAL_SQL.search(sql) is not None


def needs_spatial(error: BaseException) -> bool:
    """DuckDB refused a statement because a function or type lives in the spatial extension."""
    return isinstance(error, duckdb.Error) and "spatial extension" in str(error)


class _Spatial:
    """Loads the spatial extension into one database at most once (shared by its cursors)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.loaded = False

    def load(self) -> None:
        if self.loaded:
            return
        with self._lock:
            if not self.loaded:
                self._con.execute(f"LOAD {quote_literal(str(_extension_file('spatial')))}")
                self.loaded = True

    def run(self, fn: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.loaded and isinstance(sql, str) and spatial_sql(sql):
            self.load()
        try:
            return fn(sql, *args, **kwargs)
        except duckdb.Error as exc:
            if self.loaded or not needs_spatial(exc):
                raise
        self.load()
        return fn(sql, *args, **kwargs)


class LazySpatialConnection:
    """A DuckDB connection (or cursor) whose ``execute``/``sql``/``query`` load spatial on demand.

    Everything else is the wrapped connection's; ``cursor()`` gives a wrapped cursor of the same
    database. This is what ``engine.con`` hands to code that queries DuckDB directly (the API's
    publication reader, the SensorThings service).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, spatial: _Spatial) -> None:
        self._raw = con
        self._spatial = spatial

    def execute(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        return self._spatial.run(self._raw.execute, sql, *args, **kwargs)

    def sql(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        return self._spatial.run(self._raw.sql, sql, *args, **kwargs)

    def query(self, sql: Any, *args: Any, **kwargs: Any) -> Any:
        return self._spatial.run(self._raw.query, sql, *args, **kwargs)

    def cursor(self) -> LazySpatialConnection:
        return LazySpatialConnection(self._raw.cursor(), self._spatial)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def __enter__(self) -> LazySpatialConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()


#: rows of a row group of DuckDB's tables (its default ``row_group_size``)
ROW_GROUP_ROWS = 122_880
#: the share of a row group that one CSV read buffer is sized to hold (see ``csv_buffer_size``)
BUFFER_FILL = 0.93
#: DuckDB's own bounds of a CSV read buffer: its ``max_line_size`` (a smaller buffer lowers it) and
#: its default size (16 such lines): a larger buffer is more memory per reading thread
CSV_BUFFER_MIN, CSV_BUFFER_MAX = 2 * 1024**2 + 1024, 32 * 1024**2


def csv_buffer_size(line_bytes: float) -> int:
    """A CSV read buffer holding about 93 % of a row group of lines of ``line_bytes`` bytes.

    A bulk insert writes each batch of its input, here one read buffer, as it comes: a batch of
    90-100 % of a row group is written as one row group whose columns share blocks; smaller
    batches are first gathered by several row groups, whose column segments are then packed
    column by column, a block per segment of 128-256 KB. With DuckDB's default buffer (32 MB,
    about 3 row groups of 85-byte lines) a CSV written straight into the store took 259 blocks
    instead of 206 (+26 %); with buffers sized here, 200."""
    return int(min(CSV_BUFFER_MAX, max(CSV_BUFFER_MIN, ROW_GROUP_ROWS * BUFFER_FILL * line_bytes)))


class DuckDBEngine:
    capabilities = CAPABILITIES

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
        allocator_flush_threshold: str | None = None,
        temp_directory: Path | None = None,
        max_temp_directory_size: str | None = None,
    ) -> None:
        self.path = path
        config: dict[str, Any] = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            # DuckDB hands freed memory back to the kernel after any task past 128 MB by default, and
            # faults it in again for the next statement: on the national energy bench that is 10 % of
            # the CPU (docs/energy.md, "The variance"). Freed memory is kept up to the memory limit
            # (without one, a quarter of the machine's memory, at most 8 GB).
            "allocator_flush_threshold": allocator_flush_threshold or memory_limit or default_flush_threshold(),
        }
        if path is not None:
            # A project-owned extension directory keeps the user's home untouched.
            config["extension_directory"] = str(path.parent / "duckdb_extensions")
            config["storage_compatibility_version"] = STORAGE_VERSION
        if threads:
            config["threads"] = threads
        if temp_directory is not None:  # checked by ``spill.temp_directory``; else beside the store
            config["temp_directory"] = str(temp_directory)
        if memory_limit:
            # territory.yaml `engine_options: {memory_limit: 1GB}` bounds the buffer pool; DuckDB spills beyond it.
            config["memory_limit"] = memory_limit
        try:
            raw = duckdb.connect(str(path) if path else ":memory:", read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkspaceLockedError(
                    "the workspace store is in use by another process",
                    hint="wait for the other territoria command to finish, then try again",
                    detail=str(exc),
                ) from exc
            raise EngineError(f"cannot open the store {path}: {exc}") from exc
        if max_temp_directory_size is not None:  # checked by ``options.size``; else 90 % of the disk's free space
            # set, not passed to connect: DuckDB 1.5 shows a cap given there but spills past it
            raw.execute(f"SET max_temp_directory_size = {quote_literal(max_temp_directory_size)}")
        # pack SQL's error('...') marked as raised on purpose (``engines/pack_errors.py``)
        raw.execute(DUCKDB_ERROR_MACRO)
        self._lock = threading.RLock()
        self._depth = 0
        self._schemas: set[str] = set()
        self.spatial = _Spatial(raw)
        #: the connection, typed as DuckDB's: what it lacks (spatial) it loads when a statement needs it
        self.con: duckdb.DuckDBPyConnection = LazySpatialConnection(raw, self.spatial)  # type: ignore[assignment]

    def load_spatial(self) -> None:
        """Load the spatial extension now (statements that need it do so by themselves)."""
        self.spatial.load()

    # -- plain SQL -------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._lock:
            self._run(sql, params)

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._run(sql, params).fetchall()  # type: ignore[no-any-return]

    def _run(self, sql: str, params: Sequence[Any] | None) -> Any:
        literals = inlined(self.con, sql, params)
        if literals is None:
            return self.con.execute(sql, params)
        # binding the values would load pandas (see ``params``): the same statement, prepared
        self.con.execute(f"PREPARE _territoria_statement AS {sql}")
        return self.con.execute(f"EXECUTE _territoria_statement({', '.join(literals)})")

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self._lock:
            if params:
                return self.con.execute(sql, params).to_arrow_table()
            # a relation converts to Arrow on every thread; an executed result on one
            return self.con.sql(sql).to_arrow_table()

    def stream_batches(self, sql: str, batch_rows: int = 65536) -> Iterator[pa.RecordBatch]:
        with self._lock:
            reader = self.con.execute(sql).to_arrow_reader(batch_rows)
            yield from reader

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing block. A block opened inside another joins it (DuckDB has no
        savepoints): its work commits or rolls back with the outermost block."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.con.execute("BEGIN TRANSACTION")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.con.execute("ROLLBACK")
                self._schemas.clear()  # a schema created in the transaction is gone with it
                raise
            self._depth = 0
            self.con.execute("COMMIT")

    # -- catalog ---------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        # duckdb_tables()/duckdb_views() answer in a tenth of the time of information_schema.tables
        rows = self.fetch_all(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE schema_name = ? AND view_name = ? AND NOT internal",
            [schema, name, schema, name],
        )
        return bool(rows)

    def tables(self) -> set[tuple[str, str]]:
        rows = self.fetch_all(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        )
        return {(r[0], r[1]) for r in rows}

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        rows = self.fetch_all(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        )
        return [(r[0], r[1]) for r in rows]

    def ensure_schema(self, schema: str) -> None:
        if schema not in self._schemas:
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            self._schemas.add(schema)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with self._lock:
            self.con.register(name, table)

    def append_arrow(self, qualified: str, table: pa.Table, *, replace: bool = False) -> None:
        # An Arrow scan costs the same for 1 row or 1,000; a VALUES list is planned value by value.
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        with self._lock:
            self.con.register("_territoria_append", table)
            try:
                self.con.execute(f"{verb} INTO {qualified} BY NAME SELECT * FROM _territoria_append")
            finally:
                self.con.unregister("_territoria_append")

    # -- files -----------------------------------------------------------------------------
    def read_csv_relation(
        self,
        path: Path,
        *,
        delimiter: str,
        columns: Sequence[str],
        skip: int,
        rejects: str | None = None,
        skip_bad_lines: bool = False,
        line_bytes: float | None = None,
    ) -> str:
        # No sniffing: the reader already knows the dialect, and the sniffer fails on ragged files.
        spec = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in columns) + "}"
        extra = ", ignore_errors=true" if skip_bad_lines else ""
        if rejects:
            # Lines with too many or too few fields go to a rejects table instead of failing the scan.
            extra = (
                f", store_rejects=true, rejects_table={quote_literal(rejects)}, "
                f"rejects_scan={quote_literal(rejects + '_s')}"
            )
        if line_bytes:
            extra += f", buffer_size={csv_buffer_size(line_bytes)}"
        return (
            f"read_csv({quote_literal(str(path))}, delim={quote_literal(delimiter)}, header=false, "
            f"skip={skip}, auto_detect=false, columns={spec}, quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, parallel=true{extra})"
        )

    def copy_to(self, select_sql: str, path: Path, fmt: str, options: dict[str, Any] | None = None) -> None:
        opts = {"FORMAT": fmt, **(options or {})}
        rendered = ", ".join(f"{k} {quote_literal(v) if isinstance(v, str) else v}" for k, v in opts.items())
        self.execute(f"COPY ({select_sql}) TO {quote_literal(str(path))} ({rendered})")

    # -- publication -----------------------------------------------------------------------
    def create_or_replace(self, write: TableWrite) -> int | None:
        """One table of an atomic publication; call inside ``transaction()``. Returns its row count
        (``None`` when it renames ``write.rename_from``: its rows were written before)."""
        self.ensure_schema(write.schema)
        with self._lock:
            if write.rename_from is not None:
                # DROP and RENAME are transactional: a rollback brings the previous table back
                self.con.execute(f"DROP TABLE IF EXISTS {write.qualified}")
                source = f"{quote_ident(write.schema)}.{quote_ident(write.rename_from)}"
                self.con.execute(f"ALTER TABLE {source} RENAME TO {quote_ident(write.name)}")
                return None
            row = self.con.execute(f"CREATE OR REPLACE TABLE {write.qualified} AS {write.select_sql}").fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self.con.close()

    @classmethod
    def open(cls, store_dir: Path | None, **options: Any) -> DuckDBEngine:
        """The store file in ``store_dir`` (what the ``territoria.engines`` entry point is asked for)."""
        path = store_dir / CAPABILITIES.store_files[0] if store_dir is not None else None
        options = engine_options.checked(options)
        if options.get("temp_directory") is not None:
            options["temp_directory"] = spill.temp_directory(options["temp_directory"], store_dir)
        return cls(path, **options)


open_duckdb = DuckDBEngine.open
