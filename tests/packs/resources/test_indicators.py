"""The resources indicators on the demo inputs, each checked against a computation of its own
written in plain Python from the input files."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
from collections import defaultdict
from datetime import date, timedelta

import httpx
import pyarrow.parquet as pq
import pytest

from territoria.api import create_app
from territoria.pipelines.plan import build_plan
from territoria.publication.dcat import dcat_catalog

from .conftest import COMMUNES, ResourcesRun

INDICATORS = [
    "dechets_par_habitant", "dechets_trajectoire", "dechets_valorisation", "decheteries_departement",
    "consommation_espaces", "zan_trajectoire", "part_surface_consommee", "consommation_par_nouvel_habitant",
    "eau_potable_conformite", "eau_potable_conformite_reseau", "prelevements_eau", "jours_restriction_secheresse",
    "jours_etiage",
]  # fmt: skip


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def test_every_step_succeeds_and_every_indicator_has_rows(resources_run: ResourcesRun) -> None:
    bad = [(r.step, r.status, r.error) for r in resources_run.summary.records if r.status not in ("success", "skipped")]
    assert not bad
    for name in INDICATORS:
        count = resources_run.rows(f"SELECT count(*) AS n FROM published.{name}")[0]["n"]
        assert count > 0, name


def test_waste_per_inhabitant(resources_run: ResourcesRun) -> None:
    text = (resources_run.ws.root / "data" / "dechets-rapport-annuel.csv").read_text(encoding="utf-8")
    tonnes: dict[int, float] = defaultdict(float)
    population: dict[int, int] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        tonnes[int(row["ANNEE"])] += _num(row["TONNAGE_T"])
        population[int(row["ANNEE"])] = int(row["POPULATION_DESSERVIE"])
    got = resources_run.rows("SELECT period, value FROM published.dechets_par_habitant WHERE flux = 'DMA'")
    assert {r["period"]: r["value"] for r in got} == pytest.approx(
        {y: round(1000 * t / population[y], 1) for y, t in tonnes.items()}, abs=0.051
    )


def test_departement_context_from_the_real_sinoe_file(resources_run: ResourcesRun) -> None:
    raw = gzip.decompress((resources_run.ws.root / "data" / "sinoe-decheteries-departements.csv.gz").read_bytes())
    totals: dict[int, float] = defaultdict(float)
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        if row["C_DEPT"] == "35":
            totals[int(row["ANNEE"])] += _num(row["TONNAGE_T"])
    pops = (resources_run.ws.root / "data" / "population-departements.csv").read_text(encoding="utf-8")
    pop35 = next(int(line.split(";")[1]) for line in pops.splitlines() if line.startswith("35;"))
    got = resources_run.rows(
        "SELECT period, value, tonnage_t, estimated_share FROM published.decheteries_departement "
        "WHERE code = '35' AND flux = 'TOTAL'"
    )
    assert {r["period"]: r["tonnage_t"] for r in got} == pytest.approx(dict(totals))
    assert {r["period"]: r["value"] for r in got} == pytest.approx(
        {y: round(1000 * t / pop35, 1) for y, t in totals.items()}, abs=0.051
    )
    # the population is one vintage (2022): every survey year's ratio is flagged estimated
    assert {r["estimated_share"] for r in got} == {1.0}
    assert {r["code"] for r in resources_run.rows("SELECT DISTINCT code FROM published.decheteries_departement")} == {
        "35"
    }


def test_land_consumption_zan_and_population(resources_run: ResourcesRun) -> None:
    text = (resources_run.ws.root / "data" / "consommation-espaces-naf.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    flows = {
        r["idcom"]: {y: float(r[f"naf{y % 100:02d}art{(y + 1) % 100:02d}"]) for y in range(2009, 2023)} for r in rows
    }
    epci = resources_run.rows("SELECT period, value FROM published.consommation_espaces WHERE mesh = 'territoire'")
    assert {r["period"]: r["value"] for r in epci} == pytest.approx(
        {y: round(sum(f[y] for f in flows.values()) / 1e4, 2) for y in range(2009, 2023)}, abs=0.0051
    )
    zan = {r["code"]: r for r in resources_run.rows("SELECT * FROM published.zan_trajectoire WHERE period = 2022")}
    for code, f in flows.items():
        reference = sum(f[y] for y in range(2011, 2021)) / 1e4
        assert zan[code]["reference_ha"] == pytest.approx(reference)
        assert zan[code]["value"] == pytest.approx(round((f[2021] + f[2022]) / 1e4, 2), abs=0.0051)
        assert zan[code]["target_value"] == pytest.approx(reference * 0.5 * 2 / 10)
    per_hab = {r["code"]: r for r in resources_run.rows("SELECT * FROM published.consommation_par_nouvel_habitant")}
    for row in rows:
        growth = float(row["pop1319"])
        consumed = sum(flows[row["idcom"]][y] for y in range(2013, 2019))
        expected = round(consumed / growth) if growth > 0 else None
        assert per_hab[row["idcom"]]["value"] == expected
    shares = resources_run.rows(
        "SELECT i.code, i.value, s.surface_km2 FROM published.part_surface_consommee i "
        "JOIN model.surface_communes s USING (code)"
    )
    assert len(shares) == len(COMMUNES)
    for r in shares:
        assert r["value"] == pytest.approx(
            round(100 * sum(flows[r["code"]].values()) / 1e6 / r["surface_km2"], 2), abs=0.0051
        )


def test_drinking_water_compliance(resources_run: ResourcesRun) -> None:
    table = pq.read_table(resources_run.ws.root / "data" / "eau-potable-resultats.parquet").to_pylist()
    samples = {(r["code_commune"], r["code_prelevement"]): r for r in table}
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    networks: set[str] = set()
    for (code, _), r in samples.items():
        year = int(r["date_prelevement"][:4])
        networks.add(json.loads(r["reseaux"])[0]["code"])
        if r["conformite_limites_bact_prelevement"] in ("C", "N"):
            tally[(code, year)][0] += r["conformite_limites_bact_prelevement"] == "C"
            tally[(code, year)][1] += 1
    got = resources_run.rows(
        "SELECT code, period, value, prelevements FROM published.eau_potable_conformite "
        "WHERE mesh = 'commune' AND measure = 'bacteriologique'"
    )
    assert {(r["code"], r["period"]): r["value"] for r in got} == pytest.approx(
        {k: round(100 * ok / n, 1) for k, (ok, n) in tally.items()}, abs=0.051
    )
    per_network = resources_run.rows("SELECT DISTINCT code FROM published.eau_potable_conformite_reseau")
    assert {r["code"] for r in per_network} == networks


def test_drought_days(resources_run: ResourcesRun) -> None:
    text = (resources_run.ws.root / "data" / "restrictions-secheresse.csv").read_text(encoding="utf-8")
    days: dict[tuple[str, int], set[date]] = defaultdict(set)
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        if row["niveau_gravite"] == "vigilance":
            continue
        d, end = date.fromisoformat(row["date_debut"]), date.fromisoformat(row["date_fin"])
        while d <= end:
            days[(row["code_commune"], d.year)].add(d)
            d += timedelta(days=1)
    got = resources_run.rows(
        "SELECT code, period, value FROM published.jours_restriction_secheresse WHERE mesh = 'commune'"
    )
    for r in got:
        assert r["value"] == len(days.get((r["code"], r["period"]), set())), r
    assert any(r["value"] > 0 for r in got) and any(r["value"] == 0 for r in got)


def test_withdrawals_total_is_the_sum_of_uses(resources_run: ResourcesRun) -> None:
    table = pq.read_table(resources_run.ws.root / "data" / "prelevements-eau.parquet").to_pylist()
    by_year: dict[int, float] = defaultdict(float)
    for r in table:
        by_year[r["annee"]] += r["volume"]
    got = resources_run.rows(
        "SELECT period, value FROM published.prelevements_eau WHERE mesh = 'territoire' AND usage = 'TOUS'"
    )
    assert {r["period"]: r["value"] for r in got} == pytest.approx(dict(by_year), abs=0.51)


def test_synthetic_inputs_are_labelled_down_to_dcat(resources_run: ResourcesRun) -> None:
    entries = resources_run.ws.entries()
    synthetic = {n for n, e in entries.items() if e.pack == "resources" and e.synthetic}
    assert synthetic == {
        "dechets-rapport-annuel", "consommation-espaces-naf", "eau-potable-resultats", "prelevements-eau",
        "restrictions-secheresse", "stations-hydrometrie", "debits-cours-eau",
    }  # fmt: skip
    assert not entries["sinoe-decheteries"].synthetic
    doc = dcat_catalog(resources_run.ws, build_plan(resources_run.ws))
    nodes = {d["dct:identifier"]: d for d in doc["dcat:dataset"]}
    for name in synthetic:
        assert "données synthétiques" in json.dumps(nodes[name], ensure_ascii=False)
    assert "données synthétiques" not in json.dumps(nodes["sinoe-decheteries"], ensure_ascii=False)
    for name in INDICATORS:
        assert name in nodes and nodes[name]["dct:title"]


def test_indicators_reach_the_api_and_the_dcat_feed(resources_run: ResourcesRun) -> None:
    asyncio.run(_check_api(resources_run))


async def _check_api(resources_run: ResourcesRun) -> None:
    transport = httpx.ASGITransport(app=create_app(resources_run.ws.root))
    async with httpx.AsyncClient(transport=transport, base_url="http://territoria.test") as client:
        listed = (await client.get("/api/indicators")).json()
        items = listed["indicators"] if isinstance(listed, dict) else listed
        by_id = {i["id"]: i for i in items}
        assert set(INDICATORS) <= set(by_id)
        assert by_id["zan_trajectoire"]["title"].startswith("Consommation d'espaces depuis 2021")
        values = (
            await client.get("/api/indicators/decheteries_departement/values", params={"mesh": "departement"})
        ).json()
        assert {v["code"] for v in values["values"]} == {"35"}
        feed = (await client.get("/api/dcat.jsonld")).text
        assert "eau-potable-resultats" in feed and "données synthétiques" in feed
        assert (await client.get("/")).status_code == 200
