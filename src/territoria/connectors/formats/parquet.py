"""Parquet and GeoParquet: typed columns, geometries in WGS84, line = row number in the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from territoria.connectors.formats.base import RawRelation
from territoria.connectors.formats.compression import unwrap
from territoria.connectors.formats.geo import describe, geometry_policy, wgs84_select
from territoria.core.errors import DataError
from territoria.engines.base import Engine, quote_literal, require

PARQUET_MAGIC = b"PAR1"


def read_parquet(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    require(engine, "reads_files", "reading a landed Parquet file")
    path, layers = unwrap(path, options, tmp_dir)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head != PARQUET_MAGIC:
        raise DataError(
            "the file is not Parquet (it does not start with PAR1)",
            hint="check the source's `format` (csv, xlsx, geojson, shapefile...) or download it again",
        )
    relation = f"read_parquet({quote_literal(str(path))}, file_row_number=true)"
    columns = [c for c in describe(engine, relation, "as Parquet") if c[0] != "file_row_number"]
    select, geo = wgs84_select(engine, relation, columns, options, exclude=("file_row_number",))
    sql = f"(SELECT file_row_number + 1 AS _line, {select} FROM {relation})"
    final = [c for c in describe(engine, sql, "as Parquet") if c[0] != "_line"]
    notes: dict[str, Any] = {"format": "parquet", **({"geometry": geo} if geo else {})}
    if layers:
        notes["compression"] = layers
    return RawRelation(sql, final, notes, invalid_geometries=geometry_policy(options))
