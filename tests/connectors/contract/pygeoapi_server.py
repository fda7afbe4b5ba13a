"""A real pygeoapi (OGC API Features) serving a few communes of the shipped referential."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import shapely

from territoria.reference.referential import data_dir
from territoria.testing.pygeoapi import serve_pygeoapi


def communes_geojson(codes: list[str], dest: Path) -> dict[str, Any]:
    table = pq.read_table(data_dir() / "communes_geom.parquet", columns=["code", "geometry"]).to_pylist()
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "properties": {"code": row["code"], "rang": i},
            "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(row["geometry"]).simplify(0.001))),
        }
        for i, row in enumerate(r for r in table if r["code"] in codes)
    ]
    doc = {"type": "FeatureCollection", "features": features}
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return doc


@contextmanager
def pygeoapi(workdir: Path, codes: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    workdir.mkdir(parents=True, exist_ok=True)
    doc = communes_geojson(codes, workdir / "communes.geojson")
    rennes = (-2.0, 47.9, -1.4, 48.3)
    with serve_pygeoapi(workdir, workdir / "communes.geojson", bbox=rennes) as url:
        yield url, doc
