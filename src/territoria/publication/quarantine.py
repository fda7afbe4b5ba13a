"""Quarantined rows in the publication: what validation set aside, for the people fixing the source.

Validation sends every row that breaks its source's Table Schema to ``quarantine.<dataset>``
(line number, raw values as JSON, reasons). The snapshot carries a copy of each non-empty one as
``quarantine/<dataset>.parquet`` so that the API, which never opens the store, can show them.
The rows hold raw input (possibly personal, pseudonymised by the personal-data gate like the
staged rows): the API route that serves them declares ``raw_input`` (``core/serves.py``), read at
the dataset's level and never by anonymous callers unless the dataset is open.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from territoria.engines.base import Engine, quote_ident
from territoria.pipelines.plan import Plan

FOLDER = "quarantine"
#: the columns every quarantine table has (``validation.tableschema``): line, raw JSON, reasons
COLUMNS = ("_line", "_raw", "_errors")


def write_quarantine(
    engine: Engine, plan: Plan, target: Path, tables: set[tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """Copy the non-empty quarantine tables of the plan's sources; returns dataset -> file, rows."""
    out: dict[str, dict[str, Any]] = {}
    for key, info in plan.datasets.items():
        if info.layer != "staging" or ("quarantine", key) not in tables:
            continue
        relation = f"quarantine.{quote_ident(key)}"
        rows = int(engine.fetch_all(f"SELECT count(*) FROM {relation}")[0][0])
        if not rows:
            continue
        (target / FOLDER).mkdir(exist_ok=True)
        rel = f"{FOLDER}/{key}.parquet"
        cols = ", ".join(COLUMNS)
        select = f"SELECT {cols} FROM {relation} ORDER BY _line"
        engine.copy_to(select, target / rel, "PARQUET", {"COMPRESSION": "zstd"})
        out[key] = {"file": rel, "rows": rows}
    return out


def link_quarantine(previous: Path, target: Path, listed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Hard-link the previous snapshot's quarantine copies (a run that changed no step's inputs
    quarantines the same rows); returns the same listing."""
    for entry in listed.values():
        (target / FOLDER).mkdir(exist_ok=True)
        os.link(previous / entry["file"], target / entry["file"])
    return listed
