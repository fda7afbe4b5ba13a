"""Spark engine: PySpark in local mode over a warehouse of Parquet tables in the workspace.

For the models that outgrow one DuckDB process (the national energy cube with its secrecy
guard): the same pack SQL, translated from DuckDB's dialect by sqlglot (``engines.dialect``,
after the rewrites of ``sql.py``), runs on ``local[N]`` (``engine_options: {workers: N}``,
default 2). Each table is a Parquet directory of the store's warehouse
(``.territoria/store/spark-warehouse``) named by the catalog file beside it
(``spark-catalog.json``, ``catalog.py``). There is no transactional DDL: a table is replaced by
writing the new one in a directory of its own and renaming the catalog file (atomic per table;
a failed block keeps what it already swapped in). No spatial functions are declared: callers
``require`` the capability. One SparkSession per process (``session.py``), hence one open
store at a time: opening a store re-registers the session's catalog with its tables.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.core.errors import ConfigError, EngineError
from territoria.engines.base import Capabilities, TableWrite
from territoria.engines.expansions import expand_star_excludes
from territoria.engines.pack_errors import pack_error
from territoria.engines.spark.catalog import StoreCatalog, TableEntry
from territoria.engines.spark.files import copy_to, read_csv_view, read_csv_with_rejects, temp_view
from territoria.engines.spark.session import session
from territoria.engines.spark.sql import COLUMNS_VIEW, SET_PREFIX, Statement, encode, prepare, spark_query

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

CAPABILITIES = Capabilities(
    name="spark",
    embedded=True,
    spatial=False,
    transactional_ddl=False,
    concurrent_writers=False,
    reads_files=True,
    sql_dialect="spark",
    store_files=("spark-catalog.json",),
)
WAREHOUSE = "spark-warehouse"


def _q(schema: str, name: str) -> str:
    return f"`{encode(schema)}`.`{encode(name)}`"


class SparkEngine:
    capabilities = CAPABILITIES

    def __init__(
        self,
        store_dir: Path | None,
        *,
        workers: int = 2,
        shuffle_partitions: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.read_only = read_only
        self._scratch = None if store_dir is not None else Path(tempfile.mkdtemp(prefix="territoria-spark-store-"))
        self.root = (store_dir or self._scratch or Path()) / WAREHOUSE
        self.spark: SparkSession = session(int(workers), shuffle_partitions)
        self._lock = threading.RLock()
        self._depth = 0
        self._temp: dict[str, Path] = {}
        self.catalog = StoreCatalog.load(self.root)
        self._register_store()

    # -- the session's catalog mirrors this store ------------------------------------------------
    def _register_store(self) -> None:
        """Drop what another store of this process registered, then register this store's tables."""
        for db in self.spark.catalog.listDatabases():
            if db.name != "default":
                self.spark.sql(f"DROP DATABASE IF EXISTS `{db.name}` CASCADE")  # external tables: files stay
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)
        for schema in sorted(self.catalog.schemas):
            self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{encode(schema)}`")
        for (schema, name), entry in sorted(self.catalog.tables.items()):
            self._attach(schema, name, entry.location)
        for sql in self.catalog.views.values():
            self.spark.sql(sql)

    def _attach(self, schema: str, name: str, location: str) -> None:
        self.spark.sql(f"DROP TABLE IF EXISTS {_q(schema, name)}")
        path = str(self.root / location).replace("'", "\\'")
        self.spark.sql(f"CREATE TABLE {_q(schema, name)} USING parquet LOCATION '{path}'")

    # -- plain SQL -------------------------------------------------------------------------------
    def _sql(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> DataFrame:
        args: list[Any] | dict[str, Any] | None = None
        if params:
            args = dict(params) if isinstance(params, Mapping) else list(params)
        try:
            return self.spark.sql(sql, args=args)
        except Exception as exc:  # Spark's errors are Py4J-wrapped: one message type for the caller
            if type(exc).__module__.startswith("pyspark"):
                first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
                refused = EngineError(f"Spark refused a statement: {first}", detail=f"{exc}\n{sql}")
                raise pack_error(exc) or refused from exc
            raise

    @contextmanager
    def _materialized(self, st: Statement) -> Iterator[None]:
        """The statement's MATERIALIZED CTEs computed once each, for the time of the statement."""
        done: list[tuple[str, Path]] = []
        try:
            for name, sql in st.materialize:
                done.append((name, self._temp_table(name, self._sql(sql))))
            yield
        finally:
            for name, path in done:
                self.spark.catalog.dropTempView(name)
                shutil.rmtree(path, ignore_errors=True)

    def _temp_table(self, name: str, df: DataFrame) -> Path:
        """``df`` written once to the scratch directory, readable as the temp view ``name``."""
        path = self.root / "_temp" / f"{encode(name)}-{uuid.uuid4().hex}"
        df.write.parquet(str(path))
        self.spark.read.parquet(str(path)).createOrReplaceTempView(temp_view(name))
        return path

    @contextmanager
    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[DataFrame]:
        """A DuckDB-dialect query as a Spark DataFrame, valid inside the block."""
        st = spark_query(expand_star_excludes(sql, self._columns_of))
        with self._lock, self._materialized(st):
            if COLUMNS_VIEW in st.sql:
                self._columns_view()
            df = self._sql(st.sql, params)
            if st.describe:  # DuckDB's DESCRIBE: column_name, column_type, ...
                rows = [(r[0], _duckdb_type(r[1]), "YES", None, None, None) for r in df.collect()]
                df = self.spark.createDataFrame(rows, DESCRIBE_COLUMNS)
            yield df

    def _columns_of(self, relation: str) -> list[str]:
        """The columns of a FROM clause (DuckDB SQL), for ``* EXCLUDE`` spelled out."""
        return [str(r[0]) for r in self.fetch_all(f"DESCRIBE SELECT * FROM {relation}")]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        statement = prepare(sql)
        with self._lock, self._materialized(statement):
            run = getattr(self, f"_run_{statement.kind}", None)
            if run is not None:
                run(statement, params)
            else:
                self._sql(statement.sql, params).collect()

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.query(sql, params) as df:
            return [tuple(row) for row in df.collect()]

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self.query(sql, params) as df:
            return df.toArrow()

    def stream_batches(self, sql: str, batch_rows: int = 65536) -> Iterator[pa.RecordBatch]:
        # Spark hands Arrow results over whole; batches are cut from it (a driver-sized result)
        yield from self.fetch_arrow(sql).to_batches(max_chunksize=batch_rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A block of statements, each committed on its own (no transactional DDL: every table
        swap is atomic by itself, a failure keeps the swaps already done). Blocks nest."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    # -- statements the warehouse runs itself ----------------------------------------------------
    def _run_create_schema(self, st: Statement, params: Sequence[Any] | None) -> None:
        self.ensure_schema(st.schema)

    def _run_create_as(self, st: Statement, params: Sequence[Any] | None) -> None:
        if self._exists(st, params):
            return
        self._replace(st.schema or "main", st.name, self._sql(st.select, params))

    def _run_create_empty(self, st: Statement, params: Sequence[Any] | None) -> None:
        if self._exists(st, params):
            return
        ddl = ", ".join(f"`{c}` {t}" for c, t in st.columns)
        self._replace(st.schema or "main", st.name, self.spark.createDataFrame([], ddl), list(st.primary_key))

    def _exists(self, st: Statement, params: Sequence[Any] | None) -> bool:
        found = self.catalog.find(st.schema or "main", st.name) is not None
        if found and st.if_not_exists:
            return True
        if found and not st.replace:
            raise EngineError(f"table {st.schema}.{st.name} already exists")
        return False

    def _run_create_temp(self, st: Statement, params: Sequence[Any] | None) -> None:
        """Materialised once (a temp table's rows must not be recomputed: ``row_number() OVER ()``
        would number them differently), in the scratch directory of this engine."""
        path = self._temp_table(st.name, self._sql(st.select, params))
        old = self._temp.pop(st.name, None)
        self._temp[st.name] = path
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _run_create_view(self, st: Statement, params: Sequence[Any] | None) -> None:
        self.ensure_schema(st.schema or "main")
        self._sql(st.sql, params).collect()
        self.catalog.views[(st.schema or "main", st.name)] = st.sql
        self.catalog.save()

    def _run_drop_table(self, st: Statement, params: Sequence[Any] | None) -> None:
        if not st.schema and st.name in self._temp:
            self.spark.catalog.dropTempView(st.name)
            shutil.rmtree(self._temp.pop(st.name), ignore_errors=True)
            return
        key = self.catalog.find(st.schema or "main", st.name)
        if key is None:
            return
        self.spark.sql(f"DROP TABLE IF EXISTS {_q(*key)}")
        entry = self.catalog.tables.pop(key)
        self.catalog.save()
        shutil.rmtree(self.root / entry.location, ignore_errors=True)

    def _run_drop_view(self, st: Statement, params: Sequence[Any] | None) -> None:
        if not st.schema:
            self.spark.catalog.dropTempView(st.name)  # a registered Arrow table, or a temp view
            return
        key = self.catalog.find(st.schema, st.name)
        if key is not None and key in self.catalog.views:
            self.spark.sql(f"DROP VIEW IF EXISTS {_q(*key)}")
            del self.catalog.views[key]
            self.catalog.save()

    def _run_delete(self, st: Statement, params: Sequence[Any] | None) -> None:
        """Parquet files are immutable: the rows kept are written as the table's next version."""
        key = self._key(st.schema or "main", st.name)
        self._replace(*key, self._sql(st.select, params))

    def _run_update(self, st: Statement, params: Sequence[Any] | None) -> None:
        key = self._key(st.schema or "main", st.name)
        rows = self._sql(st.select, {f"p{i}": v for i, v in enumerate(params or [])})
        keep = self.spark.table(_q(*key)).columns
        lowered = {c.lower() for c in st.assigned}
        picked = [rows[f"`{SET_PREFIX}{c}`"].alias(c) if c.lower() in lowered else rows[f"`{c}`"] for c in keep]
        self._replace(*key, rows.select(*picked))

    def _run_insert_replace(self, st: Statement, params: Sequence[Any] | None) -> None:
        """The new rows, and the table's rows whose key none of them has (without a key: appended)."""
        key = self._key(st.schema or "main", st.name)
        table = self.spark.table(_q(*key))
        incoming = self._sql(st.select, params)
        listed = [c for c, _ in st.columns] or table.columns[: len(incoming.columns)]
        incoming = incoming.toDF(*listed)
        from pyspark.sql import functions as F

        incoming = incoming.select(
            *[
                incoming[f"`{c}`"] if c in listed else F.lit(None).cast(t.dataType).alias(c)
                for c, t in zip(table.columns, table.schema.fields, strict=True)
            ]
        )
        keys = self.catalog.tables[key].primary_key
        kept = table.join(incoming.select(*keys), on=keys, how="left_anti") if keys else table
        self._replace(*key, kept.unionByName(incoming))

    def _run_add_columns(self, st: Statement, params: Sequence[Any] | None) -> None:
        """Parquet files are immutable: the table is rewritten with the new columns (their
        DEFAULT, or NULL); a temp table too."""
        temp = not st.schema and st.name in self._temp
        source = temp_view(st.name) if temp else _q(*self._key(st.schema or "main", st.name))
        have = {c.lower() for c in self.spark.table(source).columns}
        new = [(c, t, d) for (c, t), d in zip(st.columns, st.defaults, strict=True) if c.lower() not in have]
        if len(new) < len(st.columns) and not st.if_not_exists:
            raise EngineError(f"table {st.schema}.{st.name} already has a column named in: ADD COLUMN")
        if not new:
            return
        added = ", ".join(f"CAST({d} AS {t}) AS `{c}`" for c, t, d in new)
        rows = self._sql(f"SELECT *, {added} FROM {source}")
        if temp:
            old = self._temp[st.name]
            self._temp[st.name] = self._temp_table(st.name, rows)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self._replace(*self._key(st.schema or "main", st.name), rows)

    # -- writes ----------------------------------------------------------------------------------
    def _key(self, schema: str, name: str) -> tuple[str, str]:
        key = self.catalog.find(schema, name)
        if key is None or key not in self.catalog.tables:
            raise EngineError(f"no table {schema}.{name} in the Spark store")
        return key

    def _replace(self, schema: str, name: str, df: DataFrame, primary_key: list[str] | None = None) -> int:
        """Write ``df`` as the table's next version, then swap it in (catalog file renamed)."""
        self._writable()
        self.ensure_schema(schema)
        key = self.catalog.find(schema, name) or (schema, name)
        old = self.catalog.tables.get(key)
        location = f"{encode(schema)}/{encode(name)}-{uuid.uuid4().hex[:12]}"
        df.write.parquet(str(self.root / location))
        keys = primary_key if primary_key is not None else (old.primary_key if old else [])
        self.catalog.tables[key] = TableEntry(location, keys)
        self.catalog.views.pop(key, None)
        self.catalog.save()
        self._attach(*key, location)
        if old is not None:
            shutil.rmtree(self.root / old.location, ignore_errors=True)
        return _parquet_rows(self.root / location)

    def create_or_replace(self, write: TableWrite) -> int | None:
        with self.query(write.select_sql) as df:
            return self._replace(write.schema, write.name, df)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with self._lock:
            self.spark.createDataFrame(table).createOrReplaceTempView(temp_view(name))

    def append_arrow(self, qualified: str, table: pa.Table, *, replace: bool = False) -> None:
        from pyspark.sql import functions as F

        schema, name = _split(qualified)
        with self._lock:
            key = self._key(schema, name)
            target = self.spark.table(_q(*key))
            incoming = self.spark.createDataFrame(table)
            given = {c.lower(): c for c in incoming.columns}
            rows = incoming.select(
                *[
                    (F.col(f"`{given[f.name.lower()]}`") if f.name.lower() in given else F.lit(None))
                    .cast(f.dataType)
                    .alias(f.name)
                    for f in target.schema.fields
                ]
            )
            keys = self.catalog.tables[key].primary_key
            if replace and keys:
                kept = target.join(rows.select(*keys), on=keys, how="left_anti")
                self._replace(*key, kept.unionByName(rows))
            else:
                rows.write.insertInto(_q(*key))

    # -- catalog ---------------------------------------------------------------------------------
    def table_exists(self, schema: str, name: str) -> bool:
        return self.catalog.find(schema, name) is not None

    def tables(self) -> set[tuple[str, str]]:
        return set(self.catalog.tables) | set(self.catalog.views)

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        key = self.catalog.find(schema, name)
        if key is None:
            return []
        return [(f.name, f.dataType.simpleString().upper()) for f in self.spark.table(_q(*key)).schema.fields]

    def _columns_view(self) -> None:
        """``information_schema.columns`` of this store (DuckDB's type names), as a temp view."""
        rows = [
            (schema, name, f.name, _duckdb_type(f.dataType.simpleString()), i)
            for (schema, name) in sorted(self.catalog.tables) + sorted(self.catalog.views)
            for i, f in enumerate(self.spark.table(_q(schema, name)).schema.fields, start=1)
        ]
        ddl = "table_schema STRING, table_name STRING, column_name STRING, data_type STRING, ordinal_position INT"
        self.spark.createDataFrame(rows, ddl).createOrReplaceTempView(COLUMNS_VIEW)

    def _writable(self) -> None:
        if self.read_only:
            raise EngineError("the Spark store was opened read-only", hint="open it without read_only to write")

    def ensure_schema(self, schema: str) -> None:
        if schema not in self.catalog.schemas:
            self._writable()
            self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{encode(schema)}`")
            self.catalog.schemas.add(schema)
            self.catalog.save()

    # -- files -----------------------------------------------------------------------------------
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
        with self._lock:
            if rejects:
                scratch = self.root / "_temp"
                name = read_csv_with_rejects(
                    self.spark, scratch, path, delimiter=delimiter, columns=columns, skip=skip, rejects=rejects
                )
                self._temp[name] = scratch / name  # removed with the engine's temp tables
                return name
            return read_csv_view(
                self.spark, path, delimiter=delimiter, columns=columns, skip=skip, skip_bad_lines=skip_bad_lines
            )

    def copy_to(self, select_sql: str, path: Path, fmt: str, options: dict[str, Any] | None = None) -> None:
        copy_to(self.fetch_arrow(select_sql), path, fmt, options)

    def close(self) -> None:
        with self._lock:
            for name, path in self._temp.items():
                self.spark.catalog.dropTempView(name)
                shutil.rmtree(path, ignore_errors=True)
            self._temp.clear()
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

    @classmethod
    def open(cls, store_dir: Path | None, **options: Any) -> SparkEngine:
        """The warehouse in ``store_dir`` (``None``: a scratch one, deleted at ``close``)."""
        unknown = sorted(set(options) - {"workers", "shuffle_partitions", "read_only"})
        workers = options.get("workers", 2)
        if unknown or not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ConfigError(
                f"engine_options for spark: {', '.join(unknown) or f'workers: {workers!r}'} not understood",
                hint="spark takes `workers: N` (local[N], a whole number >= 1) and `shuffle_partitions: N`",
            )
        return cls(store_dir, **options)


DESCRIBE_COLUMNS = "column_name STRING, column_type STRING, null STRING, key STRING, default STRING, extra STRING"
#: Spark's scalar type names, as DuckDB spells them (the others are spelled alike)
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
    "tinyint": "TINYINT",
}


def _duckdb_type(spark_type: str) -> str:
    return DUCKDB_TYPES.get(spark_type, spark_type.upper())


def _split(qualified: str) -> tuple[str, str]:
    import sqlglot
    from sqlglot import exp

    table = sqlglot.parse_one(qualified, into=exp.Table, read="duckdb")
    return table.db or "main", table.name


def _parquet_rows(directory: Path) -> int:
    """Rows written, from the Parquet footers (no second pass over the data)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in directory.glob("*.parquet"))
