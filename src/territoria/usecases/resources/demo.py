"""Inputs of the resources pack.

``prepare`` (``territoria init``) copies the real ADEME SINOE déchèterie file shipped with the pack
into ``data/`` and writes the départements' populations from the referential: the département
context of the waste indicators then builds for any territory.

``prepare_demo`` (``territoria demo``) writes the territory's own inputs, all synthetic and
labelled so in their catalog entries: the annual waste report, the Cerema land-consumption file
(the national file's exact layout), Hub'Eau-shaped drinking-water results and BNPE withdrawals
(Parquet, as the hubeau connector lands them), VigiEau drought orders, and Hub'Eau-shaped
hydrometric stations with their daily mean flows. Magnitudes follow the
real populations of the referential; values are invented, seeded by commune and year, so every
run writes the same bytes.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from territoria.reference.referential import referential
from territoria.workspace import Workspace

SINOE_FILE = "sinoe-decheteries-departements.csv.gz"
POPULATION_YEAR = 2022
REPORT_YEARS = range(2010, 2025)
NAF_YEARS = range(2009, 2023)
DESTINATIONS = ("hab", "act", "mix", "rou", "fer", "inc")
DESTINATION_SHARES = (0.55, 0.27, 0.05, 0.08, 0.01, 0.04)
WATER_YEARS = range(2021, 2025)
# Worst level per summer; alerte and above run from early July to September, so in 2025 they
# cover the climate demo's synthetic August heat wave (jours_secheresse_canicule, pack water_heat).
DROUGHT_YEARS = {2019: "alerte", 2020: "vigilance", 2021: "vigilance", 2022: "crise", 2023: "alerte_renforcee",
                 2024: None, 2025: "alerte"}  # fmt: skip

# kg per inhabitant in 2010 and 2024, and where each stream goes:
# (matière, organique, énergétique, élimination) shares.
STREAMS = {
    "ordures_menageres_residuelles": ((238.0, 168.0), (0.0, 0.0, 0.92, 0.08)),
    "emballages_papiers": ((47.0, 61.0), (0.82, 0.0, 0.12, 0.06)),
    "verre": ((33.0, 37.0), (1.0, 0.0, 0.0, 0.0)),
    "biodechets": ((0.0, 21.0), (0.0, 0.97, 0.0, 0.03)),
    "decheteries": ((188.0, 196.0), (0.41, 0.37, 0.09, 0.13)),
    "gravats": ((62.0, 55.0), (0.72, 0.0, 0.0, 0.28)),
    "dechets_dangereux": ((4.1, 4.6), (0.15, 0.0, 0.55, 0.30)),
}
BIOWASTE_FROM = 2018


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode()))


def _fr(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def prepare(ws: Workspace) -> None:
    """Copy the real SINOE file and write the départements' populations into ``data/``."""
    data = ws.root / "data"
    data.mkdir(exist_ok=True)
    src = Path(str(resources.files("territoria.usecases.resources") / "data" / SINOE_FILE))
    shutil.copyfile(src, data / SINOE_FILE)
    totals: dict[str, int] = defaultdict(int)
    for commune in referential().communes.values():
        if commune.departement:
            totals[commune.departement] += commune.population or 0
    lines = ["DEP;PMUN;ANNEE", *(f"{dep};{pop};{POPULATION_YEAR}" for dep, pop in sorted(totals.items()))]
    (data / "population-departements.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _populations(ws: Workspace) -> dict[str, tuple[str, int]]:
    ref = referential()
    return {c: (ref.communes[c].nom, ref.communes[c].population or 0) for c in ws.config.communes if c in ref.communes}


def write_waste_report(path: Path, population: int) -> None:
    lines = ["ANNEE;FLUX;TONNAGE_T;VALORISATION_MATIERE_T;VALORISATION_ORGANIQUE_T;VALORISATION_ENERGETIQUE_T;"
             "ELIMINATION_T;POPULATION_DESSERVIE"]  # fmt: skip
    for year in REPORT_YEARS:
        served = round(population * (1 - 0.009 * (POPULATION_YEAR - year)))
        progress = (year - REPORT_YEARS[0]) / (REPORT_YEARS[-1] - REPORT_YEARS[0])
        rng = _rng("dechets", year)
        for flux, ((start, end), shares) in STREAMS.items():
            if flux == "biodechets" and year < BIOWASTE_FROM:
                continue
            kg = start + (end - start) * progress if flux != "biodechets" else end * (year - BIOWASTE_FROM + 1) / 7
            tonnes = served * kg / 1000 * float(rng.lognormal(0, 0.03))
            # recycling improves over the years, mostly on the déchèteries and packaging
            gain = 0.06 * progress if flux in ("decheteries", "emballages_papiers") else 0.0
            parts = [shares[0] + gain, shares[1], shares[2], max(0.0, shares[3] - gain)]
            values = [_fr(tonnes * s) for s in parts]
            lines.append(f"{year};{flux};{_fr(tonnes)};{';'.join(values)};{served}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def naf_header() -> list[str]:
    yearly = [f"naf{y % 100:02d}art{(y + 1) % 100:02d}" for y in NAF_YEARS]
    split = [f"art{y % 100:02d}{d}{(y + 1) % 100:02d}" for d in DESTINATIONS for y in NAF_YEARS]
    # the national file has more columns (texts, households, jobs); the region ones are declared too
    return ["idcom", "idcomtxt", "idreg", "idregtxt", "iddep", "epci23", *yearly, *split,
            "naf11art21", "surfcom2023", "pop13", "pop19", "pop1319"]  # fmt: skip


def naf_row(code: str, nom: str, population: int, dep: str, epci: str) -> list[str]:
    rng = _rng("naf", code)
    base_ha = 0.5 + population * 0.0004
    flows = [base_ha * 1e4 * 0.97 ** (y - NAF_YEARS[0]) * float(rng.lognormal(0, 0.35)) for y in NAF_YEARS]
    flows = [round(f) for f in flows]
    split: list[str] = []
    shares = rng.dirichlet(np.array(DESTINATION_SHARES) * 40, len(flows))
    by_dest = [[round(f * float(shares[i][d])) for i, f in enumerate(flows)] for d in range(len(DESTINATIONS))]
    for d in range(len(DESTINATIONS)):
        split += [str(v) for v in by_dest[d]]
    reference = sum(f for y, f in zip(NAF_YEARS, flows, strict=True) if 2011 <= y <= 2020)
    pop13 = round(population * (1 - 0.006 * 9) * float(rng.lognormal(0, 0.02)))
    pop19 = round(population * (1 - 0.006 * 3))
    area = round((4 + population / 900) * 1e6 * float(rng.lognormal(0, 0.3)))
    return [code, nom, "53", "Bretagne", dep, epci, *map(str, flows), *split, str(reference), str(area),
            str(pop13), str(pop19), str(pop19 - pop13)]  # fmt: skip


def write_naf(path: Path, ws: Workspace) -> None:
    ref = referential()
    lines = [";".join(naf_header())]
    for code, (nom, pop) in _populations(ws).items():
        lines.append(";".join(naf_row(code, nom, pop, ref.communes[code].departement or "", ws.config.epci or "")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


PARAMETERS = [("1449", "Escherichia coli /100ml - MF", "n/(100mL)"), ("1340", "Nitrates (en NO3)", "mg/L"),
              ("1295", "Turbidité néphélométrique NFU", "NFU")]  # fmt: skip


def _sample(
    code: str, nom: str, ident: str, day: str, network: dict[str, str], bact: str, pc: str
) -> dict[str, object]:
    """The fields of a Hub'Eau result that do not depend on the parameter."""
    verdict = "Eau conforme" if "N" not in (bact, pc) else "Eau non conforme (données synthétiques)"
    return {
        "code_departement": code[:2], "code_prelevement": ident, "code_commune": code, "nom_commune": nom,
        "nom_distributeur": "SYNTHÉTIQUE", "nom_uge": f"UGE {nom.upper()}", "date_prelevement": day,
        "conclusion_conformite_prelevement": verdict, "conformite_limites_bact_prelevement": bact,
        "conformite_limites_pc_prelevement": pc, "conformite_references_bact_prelevement": "C",
        "conformite_references_pc_prelevement": "C",
        "reseaux": json.dumps([network], ensure_ascii=False, sort_keys=True),
    }  # fmt: skip


def water_records(ws: Workspace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n, (code, (nom, pop)) in enumerate(_populations(ws).items()):
        networks = 3 if pop > 100_000 else 1
        for year in WATER_YEARS:
            rng = _rng("eau", code, year)
            for s in range(4 + pop // 10_000):
                network = {"code": f"0350{n:03d}{s % networks:02d}", "nom": f"{nom.upper()} {s % networks + 1}",
                           "debit": "100 %"}  # fmt: skip
                bact = "N" if rng.random() < 0.015 else ("S" if rng.random() < 0.02 else "C")
                pc = "N" if rng.random() < 0.006 else "C"
                day = f"{year}-{1 + s % 12:02d}-{1 + int(rng.integers(0, 28)):02d}T09:30:00Z"
                sample = _sample(code, nom, f"{code}{year}{s:04d}", day, network, bact, pc)
                for param, label, unit in PARAMETERS:
                    value = round(float(rng.lognormal(2.5, 0.4)), 1) if param == "1340" else float(bact == "N")
                    rows.append({
                        **sample, "code_parametre": param, "libelle_parametre": label, "resultat_numerique": value,
                        "resultat_alphanumerique": str(value), "libelle_unite": unit,
                        "limite_qualite_parametre": "<=50 mg/L" if param == "1340" else None,
                        "reference_qualite_parametre": None,
                    })  # fmt: skip
    return rows


USAGES = [
    ("AEP", "EAU POTABLE", 1.0),
    ("IND", "INDUSTRIE ET ACTIVITES ECONOMIQUES (hors irrigation, hors énergie)", 0.15),
    ("IRR", "IRRIGATION", 0.08),
]


def withdrawal_records(ws: Workspace) -> list[dict[str, object]]:
    biggest = sorted(_populations(ws).items(), key=lambda kv: -kv[1][1])[:8]
    rows: list[dict[str, object]] = []
    for i, (code, (nom, pop)) in enumerate(biggest):
        usage, label, share = USAGES[i % len(USAGES)]
        for year in range(2012, 2023):
            rng = _rng("bnpe", code, year)
            volume = round(pop * 55 * share * float(rng.lognormal(0, 0.06)) + 20_000)
            rows.append({
                "code_ouvrage": f"OPR0000{i:06d}", "nom_ouvrage": f"Ouvrage {nom} (synthétique)", "annee": year,
                "volume": float(volume), "code_usage": usage, "libelle_usage": label, "code_commune_insee": code,
                "nom_commune": nom, "code_type_milieu": "CONT" if i % 2 else "SURF",
                "libelle_type_milieu": "Eau souterraine" if i % 2 else "Surface continental",
                "code_qualification_volume": "1",
            })  # fmt: skip
    return rows


def write_drought(path: Path, ws: Workspace) -> None:
    lines = ["code_commune;numero_arrete;type_zone;niveau_gravite;date_debut;date_fin"]
    levels = ["vigilance", "alerte", "alerte_renforcee", "crise"]
    for year, worst in DROUGHT_YEARS.items():
        if worst is None:
            continue
        steps = levels[: levels.index(worst) + 1]
        for code in ws.config.communes:
            zones = ("SUP", "SOU") if int(_rng("zone", code).integers(0, 3)) == 0 else ("SUP",)
            for zone in zones:
                start = np.datetime64(f"{year}-06-20") + int(_rng("debut", year, zone).integers(0, 15))
                for k, level in enumerate(steps):
                    begin, end = start + 14 * k, start + 14 * (k + 1) - 1 if k < len(steps) - 1 else start + 75
                    lines.append(f"{code};SYNTH-{year}-{zone}-{k + 1};{zone};{level};{begin};{end}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


HYDRO_DAYS = (np.datetime64("2019-01-01"), np.datetime64("2025-09-30"))
DRY_SUMMERS = {2022: 0.45, 2025: 0.55}  # the summer flows' factor: drier summers
RIVERS = ("La Vilaine (synthétique)", "L'Ille (synthétique)", "La Seiche (synthétique)")


def hydrometry_records(ws: Workspace) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Three invented stations on the workspace's most populous communes and their daily mean
    flows (QmnJ, l/s), as Hub'Eau's referentiel/stations and obs_elab serve them."""
    ref = referential()
    biggest = sorted(_populations(ws).items(), key=lambda kv: -kv[1][1])[:3]
    stations: list[dict[str, object]] = []
    flows: list[dict[str, object]] = []
    days = np.arange(HYDRO_DAYS[0], HYDRO_DAYS[1] + 1)
    years = days.astype("datetime64[Y]").astype(int) + 1970
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    for n, (code, (nom, _)) in enumerate(biggest):
        site = f"X{n + 1:03d}0010"
        rng = _rng("hydro", code)
        lon, lat = -1.68 + 0.05 * n, 48.11 - 0.03 * n
        stations.append({
            "code_station": f"{site}01", "libelle_station": f"{RIVERS[n]} à {nom}", "code_site": site,
            "libelle_cours_eau": RIVERS[n], "code_commune_station": code, "libelle_commune": nom,
            "code_departement": ref.communes[code].departement, "longitude_station": lon, "latitude_station": lat,
            "en_service": True, "seuil_etiage_l_s": 900.0 if n == 1 else None,
        })  # fmt: skip
        base = (12_000.0, 4_000.0, 2_500.0)[n]
        season = 1 + 0.85 * np.cos(2 * np.pi * (doy - 30) / 365)
        summer = (doy > 150) & (doy < 290)
        dry = np.array([DRY_SUMMERS.get(int(y), 1.0) for y in years])
        noise = np.exp(np.convolve(rng.normal(0, 0.08, len(days)), np.ones(7) / np.sqrt(7), "same"))
        flow = base * season * np.where(summer, dry, 1.0) * noise
        for day, q in zip(days, flow, strict=True):
            flows.append({
                "code_site": site, "code_station": f"{site}01", "date_obs_elab": str(day),
                "resultat_obs_elab": round(float(q), 1), "grandeur_hydro_elab": "QmnJ",
                "date_prod": f"{day}T12:00:00Z", "code_statut": "8", "libelle_statut": "Donnée pré-validée",
                "code_methode": "12", "libelle_methode": "Interpolée", "code_qualification": "20",
                "libelle_qualification": "Bonne", "longitude": lon, "latitude": lat,
            })  # fmt: skip
    return stations, flows


def prepare_demo(ws: Workspace) -> None:
    prepare(ws)
    data = ws.root / "data"
    population = sum(pop for _, pop in _populations(ws).values())
    write_waste_report(data / "dechets-rapport-annuel.csv", population)
    write_naf(data / "consommation-espaces-naf.csv", ws)
    pq.write_table(pa.Table.from_pylist(water_records(ws)), data / "eau-potable-resultats.parquet")
    pq.write_table(pa.Table.from_pylist(withdrawal_records(ws)), data / "prelevements-eau.parquet")
    write_drought(data / "restrictions-secheresse.csv", ws)
    stations, flows = hydrometry_records(ws)
    pq.write_table(pa.Table.from_pylist(stations), data / "stations-hydrometrie.parquet")
    pq.write_table(pa.Table.from_pylist(flows), data / "debits-cours-eau.parquet")
