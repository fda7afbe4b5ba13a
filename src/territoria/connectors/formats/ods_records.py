"""Opendatasoft "records" payloads of the v1 API (``/api/records/1.0/search`` and the
``records`` JSON export): a list of ``{datasetid, recordid, fields, geometry,
record_timestamp}`` — the layout many AASQA and local portals still hand out. Each record
becomes one row: its ``fields`` as columns (nested values as JSON text), ``recordid``,
``record_timestamp``, and ``longitude``/``latitude`` from a point ``geometry``. Line = the
record's position in the payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from territoria.connectors.formats.base import RawRelation
from territoria.connectors.formats.compression import unwrap
from territoria.connectors.formats.parquet import read_parquet
from territoria.connectors.http.payloads import records_table
from territoria.core.errors import DataError
from territoria.engines.base import Engine


def _records(doc: Any) -> list[dict[str, Any]]:
    records = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(records, list) or not all(isinstance(r, dict) and "fields" in r for r in records):
        raise DataError(
            "the file is not an Opendatasoft v1 records payload (a list of records with `fields`)",
            hint="export the dataset as JSON records from the portal, or use `format: csv` with its CSV export",
        )
    return records


def _row(record: dict[str, Any]) -> dict[str, Any]:
    fields = record.get("fields") or {}
    if not isinstance(fields, dict):
        raise DataError(
            f"record {record.get('recordid')!r} has `fields` that are not an object",
            hint="check the payload: every record's `fields` maps field names to values",
        )
    row: dict[str, Any] = {"recordid": record.get("recordid"), "record_timestamp": record.get("record_timestamp")}
    row.update(fields)
    geometry = record.get("geometry") or {}
    coords = geometry.get("coordinates") if isinstance(geometry, dict) and geometry.get("type") == "Point" else None
    row["longitude"], row["latitude"] = (coords[0], coords[1]) if coords else (None, None)
    return row


def read_ods_records_v1(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    path, layers = unwrap(path, options, tmp_dir)
    try:
        doc = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"the file is not JSON ({exc})", hint="check the source's `format` or download it again"
        ) from exc
    rows = [_row(r) for r in _records(doc)]
    target = tmp_dir / f"{path.stem}.records.parquet"
    pq.write_table(records_table(rows), target)
    raw = read_parquet(engine, target, {}, tmp_dir)
    raw.notes = {"format": "ods-records-v1", **({"compression": layers} if layers else {})}
    return raw
