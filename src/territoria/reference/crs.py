"""The official projected CRS of each part of France (IGN): Lambert-93 in metropolitan France, the
local UTM of each overseas département. Areas and distances are measured in it: Lambert-93 far
from its area triples La Réunion's surfaces and makes 300 m about 160 real metres. The OGC API
serves features in these projections too (``api/routers/ogc_query.py``): this is their one list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Projection:
    """A projection (``EPSG:n``, as ST_Transform reads it), the départements (a commune code's
    first three characters) it is official in, none for metropolitan France, and its area of use
    (CRS84 box, from the EPSG registry)."""

    name: str
    title: str
    departements: tuple[str, ...]
    area: tuple[float, float, float, float]

    @property
    def code(self) -> str:
        return self.name.removeprefix("EPSG:")


LAMBERT93 = "EPSG:2154"
#: metropolitan France first, then overseas
PROJECTIONS = (
    Projection(LAMBERT93, "Lambert-93: metropolitan France", (), (-9.86, 41.15, 10.38, 51.56)),
    Projection("EPSG:5490", "RGAF09 / UTM 20N: Antilles", ("971", "972"), (-63.66, 14.08, -57.52, 18.54)),
    Projection("EPSG:2972", "RGFG95 / UTM 22N: Guyane", ("973",), (-54.61, 2.11, -49.45, 8.88)),
    Projection("EPSG:2975", "RGR92 / UTM 40S: La Réunion", ("974",), (51.83, -24.72, 58.24, -18.28)),
    Projection("EPSG:4471", "RGM04 / UTM 38S: Mayotte", ("976",), (43.68, -14.49, 46.7, -11.33)),
)
#: the overseas département -> its projection
OVERSEAS = {dep: p.name for p in PROJECTIONS for dep in p.departements}


def local_projection_sql(geometry: str, departement: str) -> str:
    """SQL of ``geometry`` (WGS84 longitude/latitude) in the projection of the part of France that
    ``departement`` (SQL: a commune code's first three characters; anything else is metropolitan)
    names. Branches of literal CRSs rather than one CRS column: PostGIS caches transformations by
    SRID, not by text."""

    def to(crs: str) -> str:
        return f"ST_Transform({geometry}, 'EPSG:4326', '{crs}', always_xy := true)"

    branches = " ".join(f"WHEN '{code}' THEN {to(crs)}" for code, crs in OVERSEAS.items())
    return f"CASE {departement} {branches} ELSE {to(LAMBERT93)} END"


__all__ = ["LAMBERT93", "OVERSEAS", "PROJECTIONS", "Projection", "local_projection_sql"]
