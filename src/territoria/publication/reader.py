"""The read side of publication: the current snapshot, in an in-memory engine, for the API.

The server never opens the workspace store (``territoria run`` owns it). It reads the snapshot
that ``publication/snapshot.py`` wrote at the end of the last run, and switches to a newer one
when ``current.json`` changes, between two requests: a request always sees one whole snapshot.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from territoria.core.errors import NotFoundError
from territoria.core.registry import registry
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.engines.base import Engine, quote_ident, quote_literal
from territoria.pipelines.inspect import lineage_tree
from territoria.publication.snapshot import CURRENT, current_snapshot

#: above this size a published table is read from its Parquet file instead of copied in memory
IN_MEMORY_MAX_BYTES = 64 << 20
#: the engine snapshots are read with: it reads Parquet and speaks the SQL the routers write, and
#: hands out one DB-API connection per thread (``con.cursor()``)
READER_ENGINE = "duckdb"


def open_reader_engine() -> Engine:
    """A fresh in-memory engine, found through the engines registry like any other."""
    engine: Engine = registry.get("territoria.engines", READER_ENGINE)(None)
    return engine


@dataclass(frozen=True)
class DatasetMeta:
    id: str
    access: AccessLevel
    doc: dict[str, Any]
    columns: list[tuple[str, str]] = field(default_factory=list)

    @property
    def geometry(self) -> str | None:
        return next((c for c, t in self.columns if t.upper().startswith("GEOMETRY")), None)

    @property
    def relation(self) -> str:
        return f"published.{quote_ident(self.id)}"


def json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


class Publication:
    """One snapshot, loaded: tables, catalog and manifest. Read-only after construction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        self.catalog: dict[str, Any] = json.loads((path / "catalog.json").read_text(encoding="utf-8"))
        self.run_id: str = self.manifest["run_id"]
        self.engine = open_reader_engine()
        self._local = threading.local()
        self.con: duckdb.DuckDBPyConnection = getattr(self.engine, "con")  # noqa: B009 - see READER_ENGINE
        con = self.con
        con.execute("CREATE SCHEMA published; CREATE SCHEMA meta; CREATE SCHEMA geo; CREATE SCHEMA quarantine")
        for name, info in self.manifest["tables"].items():
            self._load(con, "published", name, path / info["file"])
        for file in sorted((path / "meta").glob("*.parquet")):
            self._load(con, "meta", file.stem, file)
        for folder in sorted(p for p in (path / "meta").iterdir() if p.is_dir()):  # history, in parts
            self._load(con, "meta", folder.name, folder / "*.parquet")
        #: dataset -> rows validation set aside (``publication/quarantine.py``); older snapshots have none
        self.quarantined: dict[str, int] = {}
        for name, info in self.manifest.get("quarantine", {}).items():
            self._load(con, "quarantine", name, path / info["file"])
            self.quarantined[name] = int(info["rows"])
        if self.boundaries:
            self._load(con, "geo", "communes", path / "geo" / "communes.parquet")
        if self.manifest.get("names"):
            self._load(con, "geo", "names", path / "geo" / "names.parquet")
        self.datasets: dict[str, DatasetMeta] = {}
        for doc in self.catalog["datasets"]:
            cols = self.columns("published", doc["id"]) if doc["id"] in self.manifest["tables"] else []
            self.datasets[doc["id"]] = DatasetMeta(doc["id"], AccessLevel(doc["access"]), doc, cols)
        self.indicators: dict[str, dict[str, Any]] = {i["id"]: i for i in self.catalog["indicators"]}
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.Lock()

    @property
    def boundaries(self) -> str | None:
        """The id of the dataset with ``role: boundaries`` (loaded as ``geo.communes``), if any."""
        found = self.manifest.get("boundaries")
        return found if isinstance(found, str) else None

    @staticmethod
    def _load(con: duckdb.DuckDBPyConnection, schema: str, name: str, file: Path) -> None:
        size = sum(f.stat().st_size for f in file.parent.glob(file.name))  # a file, or the parts of a glob
        kind = "TABLE" if size <= IN_MEMORY_MAX_BYTES else "VIEW"
        con.execute(
            f"CREATE {kind} {schema}.{quote_ident(name)} AS SELECT * FROM read_parquet({quote_literal(str(file))}, "
            "union_by_name = true)"
        )

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for the calling thread (DuckDB connections are not shared across threads)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()
            self._local.cursor = cur
        return cur

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        return self.cursor().execute(sql, params).to_arrow_table()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts (decimals as floats, dates as ISO strings, NaN as null)."""
        return [{k: json_value(v) for k, v in r.items()} for r in self.query(sql, params).to_pylist()]

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        # duckdb_columns() answers in a tenth of the time of information_schema, and literals (no
        # parameters) spare the import of pandas that DuckDB does to bind Python values
        rows = self.cursor().execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            f"WHERE schema_name = {quote_literal(schema)} AND table_name = {quote_literal(name)} ORDER BY column_index"
        )
        return [(r[0], r[1]) for r in rows.fetchall()]

    def cached(self, key: str, build: Any) -> Any:
        """Memoise derived values; a snapshot never changes, so nothing is ever invalidated."""
        if key not in self._cache:
            value = build()
            with self._cache_lock:
                self._cache.setdefault(key, value)
        return self._cache[key]

    def dataset(self, dataset_id: str, *, published: bool = True) -> DatasetMeta:
        meta = self.datasets.get(dataset_id)
        if meta is None or (published and dataset_id not in self.manifest["tables"]):
            known = [k for k in self.datasets if not published or k in self.manifest["tables"]]
            raise NotFoundError(
                f"unknown {'published ' if published else ''}dataset {dataset_id[:80]!r}",
                hint=did_you_mean(dataset_id, known) or "GET /api/catalog lists the datasets",
            )
        return meta

    def quarantine(self, dataset_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """A page of the rows validation set aside from a source (line, raw values, reasons), and
        their total; a dataset with none (or not a source) has an empty page."""
        total = self.quarantined.get(dataset_id, 0)
        if not total:
            return [], 0
        found = self.query(
            f"SELECT _line, _raw, _errors FROM quarantine.{quote_ident(dataset_id)} ORDER BY _line LIMIT ? OFFSET ?",
            [limit, offset],
        ).to_pylist()
        rows = []
        for r in found:
            raw = r["_raw"]
            try:
                values = json.loads(raw) if raw else {}
            except ValueError:
                values = None
            # a line the reader rejected (wrong number of fields...) is kept as the text it was
            text = None if isinstance(values, dict) else raw
            rows.append(
                {
                    "line": r["_line"],
                    "values": values if isinstance(values, dict) else None,
                    "text": text,
                    "reasons": list(r["_errors"] or []),
                }
            )
        return rows, total

    def indicator(self, indicator_id: str) -> dict[str, Any]:
        found = self.indicators.get(indicator_id)
        if found is None or indicator_id not in self.manifest["tables"]:
            raise NotFoundError(
                f"unknown indicator {indicator_id[:80]!r}",
                hint=did_you_mean(indicator_id, list(self.indicators)) or "GET /api/indicators lists them",
            )
        return found

    def lineage(self, dataset_id: str) -> dict[str, Any] | None:
        """The upstream tree of a dataset, drawn from the snapshot's flat lineage graph."""
        graph = self.catalog.get("lineage_graph", {})
        return lineage_tree(graph, dataset_id).as_dict() if dataset_id in graph else None

    def close(self) -> None:
        self.engine.close()


class PublicationSource:
    """Hands out the current ``Publication``, reloading it when a run published a new one."""

    def __init__(self, private_dir: Path) -> None:
        self.private_dir = private_dir
        self.pointer = private_dir / "publication" / CURRENT
        self._lock = threading.Lock()
        self._current: Publication | None = None
        self._stamp: tuple[int, int] | None = None

    def _pointer_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def fresh(self) -> Publication | None:
        """The loaded publication if it is still the current one (a stat, no I/O beyond it)."""
        if self._current is not None and self._pointer_stamp() == self._stamp:
            return self._current
        return None

    def get(self) -> Publication:
        stamp = self._pointer_stamp()
        if self._current is not None and stamp == self._stamp:
            return self._current
        with self._lock:
            if self._current is None or stamp != self._stamp:
                snap = current_snapshot(self.private_dir)
                if snap is None:
                    raise NotFoundError(
                        "nothing is published yet in this workspace",
                        hint="run `territoria run` (or restart `territoria serve`, which publishes the store)",
                    )
                if self._current is None or self._current.run_id != snap.run_id:
                    # The old publication is left to the garbage collector: requests may still hold it.
                    self._current = Publication(snap.path)
                self._stamp = stamp
            return self._current
