"""Helpers for the format tests: a file source in a bare workspace, run through the real pipeline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territoria.catalog.model import TableSchema
from territoria.connectors.formats import get_reader
from territoria.engines.base import Engine
from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.validation import validate_relation
from territoria.workspace import Workspace

CORPUS = Path(__file__).parent / "corpus"

CONSO_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "code_commune", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{5}"}},
        {"name": "libelle", "type": "string"},
        {"name": "annee", "type": "year"},
        {"name": "conso_mwh", "type": "number", "decimalChar": ",", "secretValues": ["s", "nd", "ns"]},
        {"name": "nb_sites", "type": "integer", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["code_commune"],
}


@dataclass
class Source:
    ws: Workspace
    name: str
    data: Path
    staged: list[tuple[Any, ...]] = field(default_factory=list)
    quarantined: list[tuple[Any, ...]] = field(default_factory=list)

    def put(self, corpus_file: str | Path | bytes) -> None:
        """Replace the source file (a corpus file name, a path, or raw bytes)."""
        if isinstance(corpus_file, bytes):
            self.data.write_bytes(corpus_file)
        else:
            src = corpus_file if isinstance(corpus_file, Path) else CORPUS / corpus_file
            shutil.copyfile(src, self.data)

    def run(self) -> RunSummary:
        """Run the pipeline; keep the staging and quarantine rows read in the same session."""
        with self.ws.engine() as engine:
            summary = run_pipeline(self.ws, engine)
            self.staged, self.quarantined = ([], [])
            if engine.table_exists("staging", self.name):
                self.staged = engine.fetch_all(f'SELECT * FROM staging."{self.name}" ORDER BY ALL')
                self.quarantined = engine.fetch_all(f'SELECT * FROM quarantine."{self.name}" ORDER BY _line')
            return summary


SourceFactory = Callable[..., Source]


@dataclass
class Ingested:
    staging: list[tuple[Any, ...]]
    columns: list[str]
    quarantine: list[tuple[Any, ...]]
    stats: dict[str, Any]
    notes: dict[str, Any]


def ingest(
    engine: Engine, path: Path, tmp: Path, fmt: str = "csv", read: dict[str, Any] | None = None, schema: Any = None
) -> Ingested:
    """The reader and the validation of the ingest step, on an in-memory engine."""
    raw = get_reader(fmt)(engine, path, read or {}, tmp)
    table = TableSchema.model_validate(schema) if isinstance(schema, dict) else schema
    outcome = validate_relation(engine, raw, table, "_t")
    staging = engine.fetch_all(outcome.staging_sql)
    columns = [r[0] for r in engine.fetch_all(f"DESCRIBE {outcome.staging_sql}")]
    quarantine = engine.fetch_all(outcome.quarantine_sql)
    outcome.drop(engine)
    return Ingested(staging, columns, quarantine, outcome.report(engine), raw.notes)
