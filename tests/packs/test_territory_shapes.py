"""Territories of unusual shapes, run as a user would: an EPCI across two regions."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.workspace import init_workspace

#: CC d'Aire-sur-l'Adour: communes of the Landes (Nouvelle-Aquitaine, 75) and the Gers (Occitanie, 76)
AIRE = "200030435"


def test_a_territory_across_two_regions_is_compared_with_both(tmp_path: Path) -> None:
    """Before, part_region took the region of any one commune of the ORE file (any_value): the whole
    territory against Occitanie's total alone, or Nouvelle-Aquitaine's, from one run to the next."""
    ws = init_workspace(tmp_path / "aire", epci=AIRE, packs=["energy_ghg"])
    energy = load_pack("energy_ghg")
    ws.use_demo_entries(energy)
    energy.run_hook("prepare_demo", ws)  # synthetic commune cells; the regional totals are real
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        assert summary.status == "success"
        rows = engine.fetch_all(
            "SELECT period, region, conso_region_mwh FROM published.part_region WHERE energy = 'TOUTES' ORDER BY period"
        )
    totals: dict[int, Decimal] = {}
    with (ws.root / "data" / "conso-elec-gaz-region.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if row["code_region"] in ("75", "76"):
                totals[int(row["annee"])] = totals.get(int(row["annee"]), Decimal(0)) + Decimal(row["conso_mwh"])
    assert [period for period, *_ in rows] == sorted(totals)
    for period, region, conso in rows:
        assert region == "Nouvelle-Aquitaine + Occitanie"
        assert conso == pytest.approx(float(totals[period]), rel=1e-12)
