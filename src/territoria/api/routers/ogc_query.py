"""Query parameters of OGC API Features items (Part 1 core, Part 2 CRS): parsing and validation.

Every invalid value is a 400 that says what is wrong and what is expected (``ApiError``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from territoria.api.errors import ApiError
from territoria.reference import crs

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
#: the official projected CRS of each part of France (``reference/crs.py``) by URI, with its area of
#: use: a projection is only offered for collections within its area, since Lambert-93 coordinates
#: of La Réunion are metres of nothing a GIS can overlay
PROJECTED: dict[str, tuple[str, tuple[float, float, float, float]]] = {
    EPSG + p.code: (p.name, p.area) for p in crs.PROJECTIONS
}
LAMBERT93 = EPSG + crs.LAMBERT93.removeprefix("EPSG:")
#: the CRSs features are served in (Part 2): URI -> the name DuckDB spatial's ST_Transform reads
CRSS = {CRS84: "OGC:CRS84", **{uri: name for uri, (name, _) in PROJECTED.items()}}
#: the storage CRS: the published geometries are WGS84 longitude/latitude
STORAGE_CRS = CRS84

Box = tuple[float, float, float, float]
#: the largest projected coordinate a bbox may have, in metres (ten times the Earth's circumference)
PROJECTED_LIMIT = 4e8


def parse_crs(value: str | None, name: str) -> str:
    """A CRS URI this server serves (``crs``, ``bbox-crs``), CRS84 when absent."""
    if value is None:
        return CRS84
    uri = value.strip().removeprefix("<").removesuffix(">")
    if uri not in CRSS:
        raise ApiError(400, f"unsupported {name} {value[:100]!r}", hint=f"one of: {', '.join(CRSS)}")
    return uri


def parse_bbox(text: str, crs: str = CRS84) -> Box:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(
            400, f"invalid bbox {text[:80]!r}", hint="bbox=minX,minY,maxX,maxY (CRS84: lon/lat; or give bbox-crs)"
        )
    x0, y0, x1, y1 = values
    if crs != CRS84:
        if x0 > x1 or y0 > y1:
            raise ApiError(400, f"invalid bbox {text[:80]!r}: min > max", hint="bbox=minX,minY,maxX,maxY")
        if max(map(abs, values)) > PROJECTED_LIMIT:
            # beyond any projected CRS's domain; and the box's edges, densified, would overflow
            raise ApiError(
                400,
                f"invalid bbox {text[:80]!r}: out of range",
                hint=f"projected coordinates within ±{PROJECTED_LIMIT:.0e} m",
            )
        return x0, y0, x1, y1
    if y0 > y1 or not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise ApiError(400, f"invalid bbox {text[:80]!r}: out of range or min > max", hint="WGS84 degrees")
    return x0, y0, x1, y1


def box_intersects(b: Box, box: Box) -> bool:
    x0, y0, x1, y1 = box
    # A box crossing the antimeridian (x0 > x1) is two boxes.
    in_x = (b[0] <= x1 and b[2] >= x0) if x0 <= x1 else (b[2] >= x0 or b[0] <= x1)
    return in_x and b[1] <= y1 and b[3] >= y0


def parse_datetime(text: str) -> tuple[datetime | None, datetime | None]:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``), as OGC API Features reads it."""

    def instant(part: str, end: bool) -> datetime | None:
        if part in ("..", ""):
            return None
        try:
            if len(part) == 10:  # a full date: the whole day
                day = datetime.fromisoformat(part).replace(tzinfo=UTC)
                return day + timedelta(days=1) - timedelta(microseconds=1) if end else day
            if "T" not in part.upper():
                raise ValueError(part)
            value = datetime.fromisoformat(part.upper().replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(
                400,
                f"invalid datetime {text[:60]!r}",
                hint="an RFC 3339 date-time (2024-01-01T00:00:00Z), a date, or an interval a/b with '..' for open ends",
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    parts = text.split("/")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] in ("..", "") and parts[1] in ("..", "")):
        raise ApiError(
            400, f"invalid datetime {text[:60]!r}", hint="an instant, or an interval a/b with one end at most open"
        )
    start = instant(parts[0], end=False)
    end = (
        instant(parts[-1], end=True) if len(parts) == 2 else (start if len(parts[0]) != 10 else instant(parts[0], True))
    )
    if start and end and start > end:
        raise ApiError(
            400, f"invalid datetime {text[:60]!r}: the interval ends before it starts", hint="write start/end"
        )
    return start, end


def in_period(year: int | None, period: tuple[datetime | None, datetime | None]) -> bool:
    """Whether a feature of ``year`` (the whole calendar year) overlaps the requested period."""
    if year is None:
        return False
    start, end = period
    first, last = datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)
    return (end is None or first <= end) and (start is None or last >= start)


def int_param(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or not low <= int(raw) <= high:
        raise ApiError(400, f"invalid {name} {raw[:20]!r}", hint=f"{name} is an integer from {low} to {high}")
    return int(raw)


def crss_for(extent: list[float] | None) -> list[str]:
    """The CRSs a collection is served in: CRS84 and the projections whose area of use its extent
    meets (all of them for a collection without features, which has no extent)."""
    if not extent:
        return list(CRSS)
    box = (extent[0], extent[1], extent[2], extent[3])
    return [CRS84, *(uri for uri, (_, area) in PROJECTED.items() if box_intersects(box, area))]


def check_crs_fits(uri: str, extent: list[float] | None, name: str) -> None:
    """A 400 for a projection away from the collection's area (OGC API Features Part 2: a ``crs``
    is one of the collection's), rather than coordinates that land nowhere."""
    offered = crss_for(extent)
    if uri not in offered:
        raise ApiError(
            400, f"{name} {uri.rsplit('/', 1)[-1]} does not cover this collection", hint=f"one of: {', '.join(offered)}"
        )
