"""The Spark store's own catalog: which Parquet directory is each table, which SQL each view.

Spark's in-memory catalog lives as long as the process; the store's tables outlive it. The
catalog file (``spark-catalog.json`` beside the warehouse) is the truth: replaced whole by a rename, it
is what makes a table swap atomic (a new table is written in its own directory, then the file
names it). Opening a store registers its tables and views in the session's catalog.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territoria.core.jsonfile import write_json

#: beside the warehouse directory, in the workspace's store directory (the store's main file)
CATALOG_FILE = "spark-catalog.json"


@dataclass
class TableEntry:
    #: the table's Parquet directory, relative to the warehouse
    location: str
    primary_key: list[str] = field(default_factory=list)


@dataclass
class StoreCatalog:
    #: the warehouse: table locations are relative to it; the catalog file is beside it
    root: Path
    schemas: set[str] = field(default_factory=set)
    tables: dict[tuple[str, str], TableEntry] = field(default_factory=dict)
    #: Spark SQL of each view, in creation order (a view may read an earlier one)
    views: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def path(self) -> Path:
        return self.root.parent / CATALOG_FILE

    @classmethod
    def load(cls, root: Path) -> StoreCatalog:
        catalog = cls(root)
        if catalog.path.exists():
            data: dict[str, Any] = json.loads(catalog.path.read_text(encoding="utf-8"))
            catalog.schemas = set(data["schemas"])
            catalog.tables = {
                (t["schema"], t["name"]): TableEntry(t["location"], t["primary_key"]) for t in data["tables"]
            }
            catalog.views = {(v["schema"], v["name"]): v["sql"] for v in data["views"]}
        return catalog

    def find(self, schema: str, name: str) -> tuple[str, str] | None:
        """The key of a table or view, names compared without case (as DuckDB and Spark do)."""
        wanted = (schema.lower(), name.lower())
        for key in (*self.tables, *self.views):
            if (key[0].lower(), key[1].lower()) == wanted:
                return key
        return None

    def save(self) -> None:
        """Replace the catalog file whole (write, fsync, rename): readers see the old or the new."""
        data = {
            "schemas": sorted(self.schemas),
            "tables": [
                {"schema": s, "name": n, "location": e.location, "primary_key": e.primary_key}
                for (s, n), e in sorted(self.tables.items())
            ],
            "views": [{"schema": s, "name": n, "sql": sql} for (s, n), sql in self.views.items()],
        }
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            write_json(self.path, data)
