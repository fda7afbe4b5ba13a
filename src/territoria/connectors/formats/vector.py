"""GeoJSON and zipped Shapefile, read by GDAL through DuckDB spatial's ``ST_Read``.

The zip is read in place (``/vsizip/``), nothing is extracted. The line of a feature is its
position in the file (1-based). Options: ``crs`` (when the file does not say it, or says it
wrong), ``layer`` (the .shp to read when the zip holds several), ``invalid_geometries``.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from territoria.connectors.formats.base import RawRelation
from territoria.connectors.formats.compression import unwrap
from territoria.connectors.formats.geo import describe, geometry_policy, wgs84_select
from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine, quote_literal, require

#: GeoJSON files up to this size are parsed to check their structure; bigger ones are sniffed
FULL_CHECK_BYTES = 16 << 20
LEGACY_CRS = re.compile(r'"crs"\s*:\s*\{[^{}]*"name"\s*:\s*"[^"]*?(EPSG)?:*(\d{4,6})"', re.IGNORECASE)
SHAPEFILE_PARTS = (".shx", ".dbf")


def _geojson_problem(path: Path) -> str | None:
    """What makes the file something other than a FeatureCollection, or None."""
    size = path.stat().st_size
    if size <= FULL_CHECK_BYTES:
        try:
            data = json.loads(path.read_bytes())
        except ValueError as exc:
            return f"it is not valid JSON ({exc})"
        except RecursionError:
            # GeoJSON nests a few levels (a MultiPolygon's rings are 4 deep); hundreds are an attack or a bug
            return f"its JSON is nested more than {sys.getrecursionlimit()} levels deep"
        if not isinstance(data, dict):
            return f"its top level is a JSON {type(data).__name__}, not an object"
        kind = data.get("type")
        if kind != "FeatureCollection":
            keys = ", ".join(list(data)[:5])
            return f"its type is {kind!r}, not 'FeatureCollection' (keys: {keys})"
        if not isinstance(data.get("features"), list):
            return "it has no `features` list"
        return None
    with path.open("rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", errors="replace")
    if not head.lstrip().startswith("{") or '"FeatureCollection"' not in head:
        return "its beginning does not declare a FeatureCollection"
    return None


def read_geojson(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    path, layers = unwrap(path, options, tmp_dir)
    with path.open("rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", errors="replace")
    if not head.strip():
        raise DataError("the file is empty", hint="check that the source published data; the previous version is kept")
    if head.lstrip().lower().startswith(("<!doctype", "<html")):
        raise DataError(
            "the source returned an HTML page instead of GeoJSON (an error or login page?)",
            hint="open the source URL in a browser to see the message; the previous version is kept",
        )
    problem = _geojson_problem(path)
    if problem:
        raise DataError(
            f"the file is not a GeoJSON FeatureCollection: {problem}",
            hint="point the source at a FeatureCollection (an API may have answered with an error body)",
        )
    if "crs" not in options and (legacy := LEGACY_CRS.search(head)):
        # Pre-RFC 7946 files from French producers still declare Lambert-93 this way.
        options = {**options, "crs": f"EPSG:{legacy.group(2)}"}
    raw = _read_vector(engine, str(path), options, "GeoJSON")
    if layers:
        raw.notes["compression"] = layers
    return raw


def _shapefile_in(path: Path, options: dict[str, Any]) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise DataError(
            "the file is not a zip archive", hint="a Shapefile must be published zipped (.shp, .shx, .dbf, .prj)"
        ) from exc
    shps = [n for n in names if n.lower().endswith(".shp")]
    layer = options.get("layer")
    if layer:
        shps = [n for n in shps if PurePosixPath(n).stem == layer or n == layer]
    if not shps:
        found = ", ".join(names[:8]) or "nothing"
        what = f"no layer {layer!r}" if layer else "no .shp file"
        raise DataError(f"the zip holds {what} (found: {found})", hint="check the source points at a zipped Shapefile")
    if len(shps) > 1:
        raise ConfigError(
            f"the zip holds several Shapefiles: {', '.join(shps)}",
            hint="choose one with `read: {layer: NAME}` (the .shp name without extension)",
        )
    shp = shps[0]
    stem = shp[:-4]
    lowered = {n.lower() for n in names}
    missing = [ext for ext in SHAPEFILE_PARTS if (stem + ext).lower() not in lowered]
    if missing:
        raise DataError(
            f"the Shapefile {shp} comes without its {' and '.join(missing)} file(s)",
            hint="a Shapefile needs its .shp, .shx and .dbf side by side in the zip",
        )
    return shp


def read_shapefile(engine: Engine, path: Path, options: dict[str, Any], tmp_dir: Path) -> RawRelation:
    shp = _shapefile_in(path, options)
    return _read_vector(engine, f"/vsizip/{{{path}}}/{shp}", options, "Shapefile")


def _read_vector(engine: Engine, location: str, options: dict[str, Any], what: str) -> RawRelation:
    require(engine, "reads_files", f"reading a landed {what}")
    require(engine, "spatial", f"reading {what} (GDAL's ST_Read)")
    relation = f"ST_Read({quote_literal(location)})"
    columns = describe(engine, relation, f"as {what}")
    internal = tuple(c for c, _ in columns if c == "OGC_FID")
    select, geo = wgs84_select(engine, relation, [c for c in columns if c[0] not in internal], options, internal)
    sql = f"(SELECT row_number() OVER () AS _line, {select} FROM {relation})"
    final = [c for c in describe(engine, sql, f"as {what}") if c[0] != "_line"]
    notes: dict[str, Any] = {"format": what.lower(), **({"geometry": geo} if geo else {})}
    return RawRelation(sql, final, notes, invalid_geometries=geometry_policy(options))
