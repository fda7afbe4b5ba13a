"""Areas and densities overseas: each commune's surface is measured in its territory's own
projection, not in Lambert-93, which is only valid for metropolitan France (far from it, La
Réunion's communes came out three and a half times too large and their densities as many times
too small)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from territoria.engines.duckdb.engine import _extension_file
from territoria.pipelines import run_pipeline
from territoria.reference.referential import referential
from territoria.workspace import init_workspace

# one commune of each overseas département with a boundary, and one metropolitan (Rennes)
COMMUNES = ["97101", "97209", "97302", "97411", "97608", "35238"]


def _geodesic_km2(codes: list[str]) -> dict[str, float]:
    """The area on the ellipsoid (no projection at all), as an independent yardstick."""
    con = duckdb.connect()
    con.execute(f"LOAD '{_extension_file('spatial')}'")
    rows = con.execute(
        "SELECT code, ST_Area_Spheroid(ST_FlipCoordinates(geometry)) / 1e6 FROM read_parquet(?) "
        "WHERE list_contains(?, code)",
        [str(referential().boundaries_path), codes],
    ).fetchall()
    return dict(rows)


def test_overseas_areas_and_densities_are_measured_in_their_own_projection(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "outre-mer", communes=COMMUNES, name="Outre-mer", packs=["territory"])
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        surfaces = dict(engine.fetch_all("SELECT code, surface_km2 FROM model.surface_communes"))
        densities = dict(
            engine.fetch_all("SELECT code, value FROM published.densite_population WHERE mesh = 'commune'")
        )
        populations = dict(engine.fetch_all("SELECT code, value FROM published.population WHERE mesh = 'commune'"))
    assert summary.status == "success"
    geodesic = _geodesic_km2(COMMUNES)
    assert set(surfaces) == set(geodesic) == set(COMMUNES)
    for code in COMMUNES:
        # UTM and Lambert-93 scale areas by less than 0.2 % within their own territory
        assert abs(surfaces[code] / geodesic[code] - 1) < 0.005, (code, surfaces[code], geodesic[code])
        assert abs(densities[code] - populations[code] / geodesic[code]) <= 0.05 + densities[code] * 0.005, code
    # Saint-Denis de La Réunion: about 143 km² (INSEE), over a thousand inhabitants per km²
    assert 135 < surfaces["97411"] < 150
    assert densities["97411"] > 1000
