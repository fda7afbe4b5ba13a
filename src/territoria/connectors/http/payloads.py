"""Turn paged API answers into one landed payload a reader parses.

JSON records (Opendatasoft ``records``, Hub'Eau) become Parquet: columns keep their JSON types
when every value agrees (else text), nested objects and lists are kept as JSON text. Features
(OGC API, WFS) are streamed page by page into one GeoJSON FeatureCollection, so memory holds a
single page. Both are deterministic: identical content gives identical bytes, which the landing
stores once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from territoria.landing import LandedObject, Landing


def _column(values: list[Any]) -> pa.Array:
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {dict, list}:
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values])
    if kinds and kinds <= {bool}:
        return pa.array(values, pa.bool_())
    if kinds and kinds <= {int}:
        return pa.array(values, pa.int64())
    if kinds and kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if not kinds:
        return pa.array(values, pa.string())
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values], pa.string())


def records_table(rows: list[dict[str, Any]]) -> pa.Table:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pa.table({name: _column([row.get(name) for row in rows]) for name in names})


def land_records(landing: Landing, rows: list[dict[str, Any]]) -> LandedObject:
    buffer = io.BytesIO()
    pq.write_table(records_table(rows), buffer, compression="zstd")
    return landing.put_stream([buffer.getvalue()])


class FeatureCollectionWriter:
    """Write features, page after page, as one GeoJSON FeatureCollection into a landing writer."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.count = 0
        out.write(b'{"type": "FeatureCollection", "features": [\n')

    def add(self, features: Iterable[dict[str, Any]]) -> None:
        for feature in features:
            sep = b",\n" if self.count else b""
            self.out.write(sep + json.dumps(feature, ensure_ascii=False, sort_keys=True).encode())
            self.count += 1

    def close(self) -> None:
        self.out.write(b"\n]}\n")
