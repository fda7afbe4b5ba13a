"""Areas and densities overseas: each commune's surface is measured in its territory's own
projection, not in Lambert-93, which is only valid for metropolitan France (far from it, La
Réunion's communes came out three and a half times too large and their densities as many times
too small)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

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


def _inside(code: str) -> tuple[float, float]:
    """A point inside the commune (longitude, latitude)."""
    con = duckdb.connect()
    con.execute(f"LOAD '{_extension_file('spatial')}'")
    x, y = con.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geometry) AS p FROM read_parquet(?) WHERE code = ?)",
        [str(referential().boundaries_path), code],
    ).fetchone() or (0.0, 0.0)
    return x, y


def _cool_places(root: Path, communes: list[str], places: list[str]) -> dict[str, tuple[float, int]]:
    """(part_couverte, nb_lieux) per commune of a territory with one cool place inside each of ``places``."""
    ws = init_workspace(root, communes=communes, packs=["social_health"])
    rows = [f"L{c};Parc;parc;{_inside(c)[0]!r};{_inside(c)[1]!r};{c}" for c in places]
    (ws.root / "data" / "lieux-frais.csv").write_text(
        "identifiant;nom;type;longitude;latitude;code_commune\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    with ws.engine() as engine:
        run_pipeline(ws, engine, hooks=[])
        found = engine.fetch_all("SELECT code, part_couverte, nb_lieux FROM model.lieux_frais_couverture")
    return {code: (part, n) for code, part, n in found}


def test_cool_place_distance_is_in_real_metres_overseas(tmp_path: Path) -> None:
    """One cool place in the middle of Sainte-Suzanne: the share of the commune within 300 m of it
    is a 300 m disc over the commune's area (Lambert-93 made it a disc of about 160 real metres)."""
    found = _cool_places(tmp_path / "cinor", ["97418", "97420"], ["97420"])
    coverage = {code: part for code, (part, _) in found.items()}
    places = {code: n for code, (_, n) in found.items()}
    area = _geodesic_km2(["97420"])["97420"]
    disc = 16 * math.sin(2 * math.pi / 32) * 0.3**2  # ST_Buffer's 32-sided polygon of radius 300 m, km²
    assert coverage["97420"] * area == pytest.approx(disc, rel=0.01)
    assert coverage["97418"] == 0.0
    assert places == {"97418": 0, "97420": 1}


def test_a_metropolitan_and_an_overseas_commune_each_keep_their_own_projection(tmp_path: Path) -> None:
    """Bruz and Sainte-Suzanne in one territory: each commune's coverage is the one it gets as a
    territory of its own (one projection for the whole territory made La Réunion's buffers
    Lambert-93's, about half their real size)."""
    mixed = _cool_places(tmp_path / "mixed", ["35047", "97420"], ["35047", "97420"])
    alone = {**_cool_places(tmp_path / "bruz", ["35047"], ["35047"])}
    alone.update(_cool_places(tmp_path / "sainte-suzanne", ["97420"], ["97420"]))
    assert set(mixed) == set(alone) == {"35047", "97420"}
    for code, (part, places) in alone.items():
        assert places == mixed[code][1] == 1
        assert 0 < part < 1
        assert mixed[code][0] == pytest.approx(part, rel=1e-9), code
