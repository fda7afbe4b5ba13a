"""Inputs of the energy pack: the emission-factor table (``prepare``) and, for the demo,
synthetic consumption files shaped like the real Agence ORE and Enedis exports.

The synthetic files follow the real exports column for column (names, ``;`` separator, UTF-8
with BOM, dot decimals, ``s`` in masked cells, no ``professionnel`` category before 2018) and
their magnitudes come from the real populations of the shipped referential; the values are
invented, seeded by commune and year so every run writes the same bytes. Their catalog entries
say ``synthetic: true`` and carry the real Opendatasoft dataset ids as ``source.upstream``.
"""

from __future__ import annotations

import shutil
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from territoria.reference.referential import referential
from territoria.workspace import Workspace

YEARS = range(2011, 2025)
SERIES_BREAK = 2018  # petits professionnels split out of residential (décret 2020-196, millésime 2018)
FACTORS_FILE = "facteurs-emission.csv"
REGION_FILE = "conso-elec-gaz-region.csv"
ORE_FILE = "conso-elec-gaz-commune.csv"
IRIS_FILE = "conso-elec-iris.csv"

ORE_COLUMNS = [
    "operateur", "annee", "filiere", "code_categorie_consommation", "code_grand_secteur", "code_secteur_naf2",
    "conso_totale_mwh", "conso_moyenne_mwh", "nb_sites", "code_commune", "nom_commune", "code_epci", "nom_epci",
    "type_epci", "code_departement", "nom_departement", "code_region", "nom_region", "nombre_d_habitants",
    "taux_de_logements_collectifs", "taux_de_residences_principales", "taux_de_chauffage_electrique",
]  # fmt: skip
# The demonstration territory's own plan (Rennes Métropole PCAET 2025-2030: -42 % GHG by 2030; the
# reference year is not stated in the sources we have, the first year of the series is used).
DEMO_CLIMATE_TARGET = {"climate_target_reduction": 0.42, "climate_target_year": 2030, "climate_reference_year": 2011}
IRIS_SECTORS = ["residentiel", "professionnel", "agriculture", "industrie", "tertiaire", "secteur_non_affecte"]


@dataclass(frozen=True)
class Profile:
    """A consumer category: sites per inhabitant (or a base count), MWh per site, by energy."""

    sector: str  # the Enedis IRIS column suffix
    categorie: str
    grand_secteur: str
    naf: str
    sites: tuple[float, float]  # per inhabitant (elec, gas)
    base: tuple[float, float]  # Poisson mean added regardless of population (elec, gas)
    mwh: tuple[float, float]


PROFILES = [
    Profile("residentiel", "RES", "RESIDENTIEL", "", (0.47, 0.15), (2.0, 0.0), (4.6, 9.5)),
    Profile("professionnel", "PRO", "TERTIAIRE", "47", (0.045, 0.006), (1.0, 0.2), (9.0, 32.0)),
    Profile("tertiaire", "ENT", "TERTIAIRE", "84", (0.004, 0.0012), (0.4, 0.2), (180.0, 420.0)),
    Profile("industrie", "ENT", "INDUSTRIE", "25", (0.00025, 0.0001), (0.4, 0.15), (900.0, 2600.0)),
    Profile("agriculture", "ENT", "AGRICULTURE", "01", (0.0, 0.0), (1.6, 0.25), (60.0, 210.0)),
    Profile("secteur_non_affecte", "ENT", "INCONNU", "", (0.00002, 0.0), (0.7, 0.2), (25.0, 40.0)),
]
ENERGIES = [("Electricité", "Enedis"), ("Gaz", "GRDF")]


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode()))


def _num(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".") if x else "0"


def prepare(ws: Workspace) -> None:
    """Copy the versioned emission-factor table and the regional totals shipped with the pack into ``data/``."""
    src = Path(str(resources.files("territoria.usecases.energy_ghg") / "data" / FACTORS_FILE))
    (ws.root / "data").mkdir(exist_ok=True)
    shutil.copyfile(src, ws.root / "data" / FACTORS_FILE)
    # Agence ORE's real regional totals (see data/ATTRIBUTION.md), for the share of the region
    region = Path(str(resources.files("territoria.usecases.energy_ghg") / "data" / REGION_FILE))
    shutil.copyfile(region, ws.root / "data" / REGION_FILE)


@dataclass
class Place:
    code: str
    nom: str
    population: int
    departement: str
    departement_nom: str
    region: str
    region_nom: str
    epci: str
    epci_nom: str
    epci_type: str


def _places(codes: list[str]) -> list[Place]:
    ref = referential()
    rows = pq.read_table(ref.communes_path).to_pylist()
    info = {r["code"]: r for r in rows}
    out = []
    for code in codes:
        r = info[code]
        epci = ref.epcis.get(r["epci"] or "")
        out.append(
            Place(
                code, r["nom"], int(r["population"] or 0), r["departement"] or "", r["departement_nom"] or "",
                r["region"] or "", r["region_nom"] or "", r["epci"] or "", epci.nom if epci else "",
                epci.nature if epci else "",
            )
        )  # fmt: skip
    return out


def commune_year(place: Place, year: int) -> dict[tuple[str, int], tuple[int, float]]:
    """(sector, energy index) -> (delivery points, MWh) for one commune and year."""
    rng = _rng(place.code, year)
    weather = 1 + 0.06 * float(_rng("weather", year).standard_normal())  # the same winter for every commune
    pop = place.population * (1 - 0.007 * (2022 - year))
    urban = min(1.0, 0.35 + place.population / 40000)
    cells: dict[tuple[str, int], tuple[int, float]] = {}
    for p in PROFILES:
        for e in range(2):
            density = p.sites[e] * (urban if e == 1 and p.sector == "residentiel" else 1.0)
            mean = pop * density + p.base[e]
            if p.sector == "residentiel" and year < SERIES_BREAK:
                mean += pop * PROFILES[1].sites[e]  # petits professionnels counted as residential
            if p.sector == "professionnel" and year < SERIES_BREAK:
                continue
            sites = int(rng.poisson(mean)) if mean < 50 else round(mean * (1 + 0.02 * rng.standard_normal()))
            trend = (1 - (0.012 if e == 0 else 0.021)) ** (year - 2011)
            heating = weather if (p.sector == "residentiel" or e == 1) else 1.0
            mwh = sites * p.mwh[e] * trend * heating * float(rng.lognormal(0, 0.08))
            cells[(p.sector, e)] = (sites, round(mwh, 3))
    return cells


def _ore_row(place: Place, year: int, p: Profile, e: int, sites: int, mwh: float, masked: bool) -> str:
    filiere, operateur = ENERGIES[e]
    housing = ["", "", "", ""]
    if p.categorie == "RES":
        collectifs = min(0.95, 0.1 + place.population / 250000)
        housing = [str(place.population), _num(collectifs), "0.9", _num(0.35 - collectifs / 5)]
    values = ["s", "s", "s"] if masked else [_num(mwh), _num(mwh / sites) if sites else "0", str(sites)]
    row = [
        operateur, str(year), filiere, p.categorie, p.grand_secteur, p.naf, *values, place.code, place.nom,
        place.epci, place.epci_nom, place.epci_type, place.departement, place.departement_nom, place.region,
        place.region_nom, *housing,
    ]  # fmt: skip
    return ";".join(row)


def _iris_split(place: Place) -> list[tuple[str, str, str, np.ndarray]]:
    """Synthetic IRIS of a commune: one per ~2,500 inhabitants above 5,000, else the whole commune."""
    if place.population < 5000:
        return [(place.code + "0000", place.nom, "Z", np.array([1.0]))]
    n = max(2, round(place.population / 2500))
    weights = _rng("iris", place.code).dirichlet(np.full(n, 6.0))
    return [
        (f"{place.code}{101 + i:04d}", f"{place.nom} {i + 1} (synthétique)", "H", weights[i : i + 1]) for i in range(n)
    ]


def _iris_rows(place: Place, year: int, cells: dict[tuple[str, int], tuple[int, float]]) -> list[str]:
    rows = []
    rng = _rng("iris-sites", place.code, year)
    iris = _iris_split(place)
    weights = np.array([w[0] for *_, w in iris])
    split: dict[str, list[tuple[int, float]]] = {}
    for s in IRIS_SECTORS:
        if (s, 0) not in cells:
            split[s] = [(-1, 0.0)] * len(iris)
            continue
        sites, mwh = cells[(s, 0)]
        counts = rng.multinomial(sites, weights) if sites else np.zeros(len(iris), dtype=int)
        share = counts / sites if sites else weights
        split[s] = [(int(c), round(mwh * float(f), 3)) for c, f in zip(counts, share, strict=True)]
    for i, (code, nom, typ, _) in enumerate(iris):
        row = [str(year), code, nom, typ, place.code, place.nom, place.epci, place.epci_nom, place.epci_type,
               place.departement, place.region]  # fmt: skip
        for s in IRIS_SECTORS:
            sites, mwh = split[s][i]
            threshold = 10 if s == "residentiel" else 3
            if sites < 0:
                row += ["", "", ""]
            elif 0 < sites < threshold:
                row += ["s", "s", "s"]  # the producer's own secrecy at IRIS level
            else:
                row += [str(sites), _num(mwh), _num(mwh / sites) if sites else "0"]
        rows.append(";".join(row))
    return rows


def prepare_demo(ws: Workspace) -> None:
    """Write the synthetic Agence ORE (commune, electricity and gas) and Enedis (IRIS) files, and
    set the demonstration's climate target where the workspace has not set its own."""
    prepare(ws)
    ws.set_parameters("energy_ghg", DEMO_CLIMATE_TARGET, only_unset=True)
    ore = [";".join(ORE_COLUMNS)]
    iris_header = ["annee", "code_iris", "nom_iris", "type_iris", "code_commune", "nom_commune", "code_epci",
                   "nom_epci", "type_epci", "code_departement", "code_region"]  # fmt: skip
    for s in IRIS_SECTORS:
        iris_header += [f"nb_sites_{s}", f"conso_totale_{s}_mwh", f"conso_moyenne_{s}_mwh"]
    iris = [";".join(iris_header)]
    places = _places(list(ws.config.communes))  # reads the national commune table: once, not once a year
    for year in YEARS:
        for place in places:
            cells = commune_year(place, year)
            mask_rng = _rng("ics", place.code, year)
            for p in PROFILES:
                for e in range(2):
                    if (p.sector, e) not in cells:
                        continue
                    sites, mwh = cells[(p.sector, e)]
                    if sites == 0:
                        continue  # the real files have no row for an empty category
                    # Agence ORE masks some very small business cells itself (commercially sensitive data).
                    masked = p.categorie == "ENT" and sites < 3 and mask_rng.random() < 0.1
                    ore.append(_ore_row(place, year, p, e, sites, mwh, masked))
            iris.extend(_iris_rows(place, year, cells))
    data = ws.root / "data"
    data.mkdir(exist_ok=True)
    (data / ORE_FILE).write_text("\ufeff" + "\n".join(ore) + "\n", encoding="utf-8")
    (data / IRIS_FILE).write_text("\ufeff" + "\n".join(iris) + "\n", encoding="utf-8")
