"""Coordinates: reprojection to WGS84 and the checks around it, shared by the spatial readers.

A geometry's CRS is the one declared in the source (``read: {crs: EPSG:2154}``), else the one
the file carries (Shapefile ``.prj``, GeoParquet metadata, a legacy GeoJSON ``crs`` member),
else WGS84. Everything is stored in WGS84 (EPSG:4326, longitude first).
"""

from __future__ import annotations

import re
from typing import Any

from territoria.connectors.formats.base import GeometryPolicy
from territoria.core.errors import ConfigError, DataError
from territoria.engines.base import Engine, quote_ident, quote_literal, require

WGS84 = {"EPSG:4326", "OGC:CRS84", "CRS84", "WGS84"}
CRS_IN_TYPE = re.compile(r"GEOMETRY\('([^']+)'\)", re.IGNORECASE)
CRS_NAME = re.compile(r"^(EPSG|IGNF|OGC):[A-Za-z0-9_.]+$")
SAMPLE = 1000


def describe(engine: Engine, relation: str, what: str) -> list[tuple[str, str]]:
    try:
        rows = engine.fetch_all(f"DESCRIBE SELECT * FROM {relation}")
    except Exception as exc:  # the engine's message says what is wrong with the bytes
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"the file is not readable {what}: {first}", hint="check the source's `format` option") from exc
    return [(str(r[0]), str(r[1])) for r in rows]


def is_geometry(sql_type: str) -> bool:
    return sql_type.upper().startswith("GEOMETRY")


def declared_crs(options: dict[str, Any]) -> str | None:
    crs = options.get("crs")
    if crs is None:
        return None
    text = str(crs).strip().upper()
    if text.isdigit():
        text = f"EPSG:{text}"
    if not CRS_NAME.match(text):
        raise ConfigError(
            f"`read.crs: {crs}` is not a CRS name", hint="write it as EPSG:2154 (Lambert-93) or EPSG:4326"
        )
    return text


def geometry_policy(options: dict[str, Any]) -> GeometryPolicy:
    policy = options.get("invalid_geometries", "repair")
    if policy == "repair":
        return "repair"
    if policy == "quarantine":
        return "quarantine"
    raise ConfigError(
        f"`read.invalid_geometries: {policy}` is not a policy", hint="use `repair` (ST_MakeValid) or `quarantine`"
    )


def wgs84_select(
    engine: Engine,
    relation: str,
    columns: list[tuple[str, str]],
    options: dict[str, Any],
    exclude: tuple[str, ...] = (),
) -> tuple[str, dict[str, Any]]:
    """A select list with every geometry column in WGS84, and what was done (for the report)."""
    declared = declared_crs(options)
    replaces: list[str] = []
    notes: dict[str, Any] = {}
    for name, typ in columns:
        if not is_geometry(typ):
            continue
        require(engine, "spatial", f"the geometry column {name!r}")
        found = CRS_IN_TYPE.match(typ)
        source = declared or (found.group(1).upper() if found else None) or "EPSG:4326"
        g = quote_ident(name)
        if source in WGS84:
            expr = f"CAST({g} AS GEOMETRY)"
        else:
            expr = f"ST_Transform(CAST({g} AS GEOMETRY), {quote_literal(source)}, 'EPSG:4326', always_xy := true)"
        replaces.append(f"{expr} AS {g}")
        notes[name] = {"crs": source, "reprojected": source not in WGS84}
        _check_range(engine, relation, name, expr, source, declared is not None)
    select = "*"
    if exclude:
        select += f" EXCLUDE ({', '.join(quote_ident(c) for c in exclude)})"
    if replaces:
        select += f" REPLACE ({', '.join(replaces)})"
    return select, notes


def _check_range(engine: Engine, relation: str, name: str, expr: str, source: str, declared: bool) -> None:
    """Projected coordinates read as degrees (or the reverse) show as out-of-range longitudes."""
    try:
        bad = engine.fetch_all(
            f"SELECT count(*) FROM (SELECT {expr} AS g FROM (SELECT * FROM {relation} LIMIT {SAMPLE})) "
            "WHERE g IS NOT NULL AND NOT ST_IsEmpty(g) AND (abs(ST_XMin(g)) > 180 OR abs(ST_XMax(g)) > 180 "
            "OR abs(ST_YMin(g)) > 90 OR abs(ST_YMax(g)) > 90)"
        )[0][0]
    except Exception as exc:  # PROJ refusing the CRS, or bytes that are not geometries
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"column {name!r}: cannot reproject from {source}: {first}",
            hint="check `read.crs` (EPSG:2154 for Lambert-93, EPSG:4326 for WGS84)",
        ) from exc
    if bad:
        said = "declared" if declared else "assumed"
        raise DataError(
            f"column {name!r}: coordinates are out of the WGS84 range once read as {source} ({said})",
            hint="declare the file's CRS in the source: `read: {crs: EPSG:2154}` for Lambert-93",
        )
