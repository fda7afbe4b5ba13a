"""The engine interface the pipeline code talks to.

The pipeline never imports an engine's driver: it asks an ``Engine`` to run SQL (DuckDB
dialect, the project's lingua franca), to read landed files, and to recreate tables inside a
transaction. What an engine can and cannot do is declared in ``Capabilities`` so callers branch
on data, not on engine names: a caller that needs a capability calls ``require`` first.

An engine plugin (group ``territoria.engines``) is an ``EngineFactory``: its ``capabilities``
are readable without opening a store (the footprint sizes the store files, the API checks
that a store exists), and ``open`` opens one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from territoria.core.errors import ConfigError

if TYPE_CHECKING:  # Arrow only types these signatures: importing the engine does not load it
    import pyarrow as pa


@dataclass(frozen=True)
class Capabilities:
    name: str
    #: the store lives in the workspace and needs no server
    embedded: bool
    #: ST_* functions and a GEOMETRY type are available
    spatial: bool
    #: CREATE/DROP inside a transaction roll back with it (the atomic-swap strategy relies on it)
    transactional_ddl: bool
    #: several processes may write at the same time
    concurrent_writers: bool
    #: reads CSV/Parquet files directly from a path
    reads_files: bool
    sql_dialect: str
    #: a table created from a query without ORDER BY keeps the query's row order, readable as the
    #: 0-based ``rowid``: the validation numbers a file's lines from it, where a window over the
    #: whole scan (``row_number() OVER ()``) took half the CPU of a CSV ingest
    ordered_rowid: bool = False
    #: the store's files in the workspace's store directory, the main one first (none for a server)
    store_files: tuple[str, ...] = ()

    def store_paths(self, store_dir: Path) -> list[Path]:
        return [store_dir / name for name in self.store_files]

    def store_exists(self, store_dir: Path) -> bool:
        """Whether a store was created: its main file; a server's store is assumed to exist."""
        return not self.store_files or (store_dir / self.store_files[0]).exists()

    def store_size(self, store_dir: Path) -> int:
        """Bytes of the store's files (one stat each: cheap enough per commit)."""
        total = 0
        for path in self.store_paths(store_dir):
            with suppress(FileNotFoundError):
                total += path.stat().st_size
        return total


Capability = Literal["spatial", "reads_files", "transactional_ddl", "concurrent_writers", "embedded"]


def require(engine: Engine, capability: Capability, needed_for: str) -> None:
    """Refuse, before any work, what the engine declares it cannot do."""
    caps = engine.capabilities
    if not getattr(caps, capability):
        raise ConfigError(
            f"the {caps.name} engine has no `{capability}` capability, which {needed_for} needs",
            hint="set `engine: duckdb` in territory.yaml (it has every capability), or remove what needs it",
        )


@dataclass(frozen=True)
class TableWrite:
    """A table to (re)create from a SELECT, as part of an atomic publication."""

    schema: str
    name: str
    select_sql: str
    #: a table of ``schema`` that holds exactly ``select_sql``'s rows, written beforehand and
    #: not read by anything else: an engine may rename it to ``name`` instead of copying it
    #: (``select_sql`` still reads it, for an engine that copies; either way it is gone after)
    rename_from: str | None = None

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class SqlExpression(str):
    """A parameter whose value is SQL, put into a model as it is (parenthesised), not as a quoted
    string: a secrecy rule's own condition (``when:``), which the guard runs as SQL too."""

    __slots__ = ()


class Engine(Protocol):
    capabilities: Capabilities

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None: ...

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table: ...

    def transaction(self) -> AbstractContextManager[None]:
        """All-or-nothing block; a block opened inside another one joins it."""
        ...

    def table_exists(self, schema: str, name: str) -> bool: ...

    def tables(self) -> set[tuple[str, str]]:
        """(schema, name) of every table and view."""
        ...

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]: ...

    def ensure_schema(self, schema: str) -> None: ...

    def register_arrow(self, name: str, table: pa.Table) -> None: ...

    def append_arrow(self, qualified: str, table: pa.Table, *, replace: bool = False) -> None:
        """Insert ``table``'s rows into an existing table, columns matched by name; with
        ``replace``, a row replaces the one with the same primary key."""
        ...

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
        """SQL relation reading a UTF-8 CSV with every column as text, in file order.

        With ``rejects``, lines whose field count differs from ``columns`` are stored in the
        temporary table ``rejects`` (line, csv_line, error_type) instead of failing the scan;
        with ``skip_bad_lines`` they are skipped silently (a second scan of a checked file).
        ``line_bytes``: the file's mean line length, when the caller measured it (an engine
        may size its reads from it).
        """
        ...

    def create_or_replace(self, write: TableWrite) -> int | None:
        """Recreate one table; atomic with whatever else runs inside ``transaction()``.
        Returns the rows written when the engine reports them, else ``None``."""
        ...

    def copy_to(self, select_sql: str, path: Path, fmt: str, options: dict[str, Any] | None = None) -> None: ...

    def stream_batches(self, sql: str, batch_rows: int = 65536) -> Iterator[pa.RecordBatch]:
        """Rows of ``sql`` in Arrow batches, without holding the whole result (large exports)."""
        ...

    def close(self) -> None: ...


class EngineFactory(Protocol):
    """What the ``territoria.engines`` entry point names: capabilities first, then a store."""

    capabilities: Capabilities

    def open(self, store_dir: Path | None, **options: Any) -> Engine:
        """The workspace's store in ``store_dir`` (``None``: an in-memory store)."""
        ...
