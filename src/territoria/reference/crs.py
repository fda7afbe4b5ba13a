"""The official projected CRS of each part of France (IGN): Lambert-93 in metropolitan France, the
local UTM of each overseas département. Areas and distances are measured in it: Lambert-93 far
from its area triples La Réunion's surfaces and makes 300 m about 160 real metres."""

from __future__ import annotations

#: the département (a commune code's first three characters) -> its projection, overseas
OVERSEAS = {
    "971": "EPSG:5490",  # RGAF09 / UTM 20N
    "972": "EPSG:5490",  # RGAF09 / UTM 20N
    "973": "EPSG:2972",  # RGFG95 / UTM 22N
    "974": "EPSG:2975",  # RGR92 / UTM 40S
    "976": "EPSG:4471",  # RGM04 / UTM 38S
}
LAMBERT93 = "EPSG:2154"


def local_projection_sql(geometry: str, departement: str) -> str:
    """SQL of ``geometry`` (WGS84 longitude/latitude) in the projection of the part of France that
    ``departement`` (SQL: a commune code's first three characters; anything else is metropolitan)
    names. Branches of literal CRSs rather than one CRS column: PostGIS caches transformations by
    SRID, not by text."""

    def to(crs: str) -> str:
        return f"ST_Transform({geometry}, 'EPSG:4326', '{crs}', always_xy := true)"

    branches = " ".join(f"WHEN '{code}' THEN {to(crs)}" for code, crs in OVERSEAS.items())
    return f"CASE {departement} {branches} ELSE {to(LAMBERT93)} END"


__all__ = ["LAMBERT93", "OVERSEAS", "local_projection_sql"]
