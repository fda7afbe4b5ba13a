"""Parquet / GeoParquet and GeoJSON readers (typed columns, geometry as GEOMETRY)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from territoria.connectors.formats.base import RawRelation
from territoria.core.errors import DataError
from territoria.engines.base import Engine, quote_literal


def _describe(engine: Engine, relation: str, what: str) -> list[tuple[str, str]]:
    try:
        rows = engine.fetch_all(f"DESCRIBE SELECT * FROM {relation}")
    except Exception as exc:  # the engine's own error says what is wrong with the bytes
        raise DataError(f"the file is not readable {what}: {exc}", hint="check the source's format option") from exc
    return [(r[0], r[1]) for r in rows]


def read_parquet(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    relation = engine.read_parquet_relation(path)
    columns = _describe(engine, relation, "as Parquet")
    sql = f"(SELECT row_number() OVER () AS _line, * FROM {relation})"
    return RawRelation(sql, columns, {"format": "parquet"})


def read_geojson(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    relation = f"ST_Read({quote_literal(str(path))})"
    columns = _describe(engine, relation, "as GeoJSON")
    crs = options.get("crs")
    select = "*"
    if crs and crs.upper() != "EPSG:4326":
        geom = next((c for c, t in columns if t.upper().startswith("GEOMETRY")), None)
        if geom:
            select = f"* REPLACE (ST_Transform({geom}, {quote_literal(crs)}, 'EPSG:4326', always_xy := true) AS {geom})"
    sql = f"(SELECT row_number() OVER () AS _line, {select} FROM {relation})"
    return RawRelation(sql, columns, {"format": "geojson", "crs": crs or "EPSG:4326"})
