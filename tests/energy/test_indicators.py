"""Indicators of the energy pack: values, quality flags, emission-factor versions, trajectory,
re-aggregation as lower bounds, and the demo inputs themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from territoria.catalog.model import DatasetEntry
from territoria.catalog.own_inputs import demo_form
from territoria.catalog.packs import load_pack
from territoria.usecases.energy_ghg import demo
from territoria.workspace import init_workspace

from .conftest import EnergyRun

INDICATORS = [
    "energie_consommation",
    "energie_par_habitant",
    "ges_emissions",
    "energie_evolution",
    "ges_trajectoire",
    "part_communes",
]


def test_every_indicator_value_carries_quality_flags(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        for ind in INDICATORS:
            n, missing, unit = engine.fetch_all(
                f"SELECT count(*), count(*) FILTER (WHERE masked_share IS NULL OR estimated_share IS NULL "
                f"OR completeness IS NULL OR secret IS NULL), any_value(unit) FROM published.{ind}"
            )[0]
            assert n > 0 and missing == 0, ind
            assert unit


def test_emissions_record_the_factor_version_and_use_the_factor_of_the_year(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        versions = engine.fetch_all("SELECT DISTINCT emission_factor_version FROM published.ges_emissions")
        check = engine.fetch_all(
            "SELECT e.value, c.consumption_mwh, e.emission_factors FROM published.ges_emissions e "
            "JOIN published.energie_cellules c USING (code, sector, energy, period) "
            "WHERE e.sector = 'TOUS' AND e.energy = 'gaz' AND e.period = 2022 AND NOT e.secret "
            "ORDER BY c.consumption_mwh DESC LIMIT 1"  # the protection loop decides which cells are published
        )[0]
        mixed = engine.fetch_all(
            "SELECT emission_factors, estimated_share FROM published.ges_emissions "
            "WHERE sector = 'TOUS' AND energy = 'TOUTES' AND period = 2021 AND NOT secret ORDER BY value DESC LIMIT 1"
        )[0]
    assert versions == [("territoria-ef-2026.1",)]
    assert check[0] == pytest.approx(check[1] * 0.2154, abs=0.06) and check[2] == "GAZ-NAT-MIX-MOYEN-2022-PCS"
    assert mixed[0] == "ELEC-MIX-MOYEN-2021,GAZ-NAT-MIX-MOYEN-2022-PCS"
    assert 0 < mixed[1] < 1  # in 2021 only the gas factor is another year's: share of emissions estimated


def test_territory_total_and_commune_shares(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        total = engine.fetch_all(
            "SELECT value, completeness FROM published.energie_consommation "
            "WHERE mesh = 'epci' AND sector = 'TOUS' AND energy = 'TOUTES' AND period = 2024"
        )[0]
        shares = engine.fetch_all(
            "SELECT sum(value), count(*) FILTER (WHERE secret), count(*) FROM published.part_communes "
            "WHERE measure = 'consommation' AND period = 2024"
        )[0]
        per_hab = engine.fetch_all(
            "SELECT value, estimated_share FROM published.energie_par_habitant "
            "WHERE mesh = 'epci' AND energy = 'TOUTES' AND period = 2022"
        )[0]
    assert total[1] == 1.0 and 1e6 < total[0] < 2e7  # MWh for ~480,000 inhabitants
    # the protection loop may hide a few communes' totals: the published shares add up to the rest
    assert shares[1] <= shares[2] // 4 and 50 < shares[0] <= 100.1
    assert shares[1] > 0 or shares[0] == pytest.approx(100, abs=0.1)
    assert 2 < per_hab[0] < 40 and per_hab[1] == 0.0


def test_trajectory_reaches_the_configured_target(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT period, value, reference_value, target_value, completeness FROM published.ges_trajectoire "
            "ORDER BY period"
        )
        secret = engine.fetch_all(
            "SELECT secret FROM published.ges_emissions WHERE mesh = 'epci' AND sector = 'TOUS' "
            "AND energy = 'TOUTES' AND period = 2011"
        )[0][0]
    by_year = {r[0]: r for r in rows}
    if secret:  # the protection loop hid the reference year's emissions: no target is computed from them
        assert all(r[2] is None and r[3] is None for r in rows)
    else:
        assert by_year[2011][3] == pytest.approx(by_year[2011][2])
        assert by_year[2030][3] == pytest.approx(by_year[2011][2] * 0.58)
    assert by_year[2030][1] is None and by_year[2030][4] == 0.0 and by_year[2024][4] == 1.0


def test_evolution_flags_the_2018_series_break(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        flags = dict(
            engine.fetch_all(
                "SELECT period >= 2018, bool_and(comparable) FROM published.energie_evolution "
                "WHERE sector = 'residentiel' GROUP BY ALL"
            )
        )
    assert flags == {False: True, True: False}


def test_iris_reaggregation_is_a_lower_bound_and_never_unmasks(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        leaked = engine.fetch_all(
            "SELECT count(*) FROM published.energie_elec_iris p JOIN model.energie_elec_iris m "
            "USING (code, sector, period) WHERE m.masked_input AND p.consumption_mwh IS NOT NULL"
        )[0][0]
        bounds = engine.fetch_all(
            "SELECT count(*) FILTER (WHERE i.lower_bound), "
            "count(*) FILTER (WHERE i.consumption_mwh > c.consumption_mwh + 0.01), "
            "count(*) FILTER (WHERE NOT i.lower_bound AND abs(i.consumption_mwh - c.consumption_mwh) > 0.01) "
            "FROM published.energie_elec_iris i JOIN published.energie_cellules c "
            "ON c.code = i.code AND c.sector = i.sector AND c.period = i.period AND c.energy = 'electricite' "
            "WHERE i.mesh = 'commune' AND i.sector = 'TOUS' AND NOT i.secret AND NOT c.secret AND NOT c.lower_bound"
        )[0]
        flagged = engine.fetch_all(
            "SELECT count(*) FROM model.energie_elec_iris WHERE mesh = 'commune' AND sector = 'TOUS' AND lower_bound"
        )[0][0]
    assert leaked == 0
    assert flagged > 0  # some communes have masked IRIS cells: flagged
    # published beside the complete cell, the bound would give what was masked by difference
    assert bounds[0] == 0
    assert bounds[1] == 0  # a lower bound never exceeds the commune's total
    assert bounds[2] == 0  # and is exact when nothing was masked


def test_demo_files_are_deterministic_and_shaped_like_the_real_exports(tmp_path: Path) -> None:
    files = []
    for name in ("a", "b"):
        ws = init_workspace(tmp_path / name, communes=["35238", "35022"], packs=["territory", "energy_ghg"])
        load_pack("energy_ghg").run_hook("prepare_demo", ws)
        files.append([(ws.root / "data" / f).read_bytes() for f in (demo.ORE_FILE, demo.IRIS_FILE, demo.FACTORS_FILE)])
    assert files[0] == files[1]
    ore = files[0][0].decode("utf-8")
    assert ore.startswith("\ufeff")
    rows = list(csv.DictReader(ore.lstrip("\ufeff").splitlines(), delimiter=";"))
    assert list(rows[0]) == demo.ORE_COLUMNS
    assert not [r for r in rows if r["code_categorie_consommation"] == "PRO" and int(r["annee"]) < 2018]
    assert {r["filiere"] for r in rows} == {"Electricité", "Gaz"}
    iris = list(csv.DictReader(files[0][1].decode("utf-8").lstrip("\ufeff").splitlines(), delimiter=";"))
    assert any(r["nb_sites_industrie"] == "s" for r in iris)
    assert {r["code_iris"][:5] for r in iris} == {"35238", "35022"}


def test_catalog_entries_are_labelled_synthetic_and_point_at_the_real_datasets() -> None:
    pack = load_pack("energy_ghg")
    # as the demo writes them (catalog/own_inputs.py: any other territory gets them unlabelled)
    texts = {p.stem: demo_form(p.read_text(encoding="utf-8")) for p in pack.source_files()}
    entries = {name: DatasetEntry.model_validate(yaml.safe_load(text)) for name, text in texts.items()}
    ore, iris = entries["conso-elec-gaz-commune"], entries["conso-elec-iris"]
    assert ore.synthetic and iris.synthetic and not entries["facteurs-emission"].synthetic
    assert (
        ore.source.upstream
        and ore.source.upstream["dataset_id"] == "consommation-annuelle-d-electricite-et-gaz-par-commune"
    )
    assert iris.source.upstream and iris.source.upstream["portal"] == "https://data.enedis.fr"
