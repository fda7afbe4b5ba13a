"""Synthetic demo inputs of the heat-vulnerability index, for what no real file is shipped:
older people and older people living alone by IRIS, and the territory's list of cool places.

Both are labelled synthetic (file names, a ``synthetique`` column, ``synthetic: true`` in their
catalog entries). The IRIS codes are real (those of INSEE's Filosofi file for the communes of
5,000 inhabitants or more, ``<commune>0000`` for the others) and the populations are the
referential's; the counts and places are invented, seeded, so two runs write identical bytes.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from territoria.reference.arrondissements import commune_of
from territoria.reference.referential import referential

POPULATION_FILE = "population-iris.synthetic.csv"
PLACES_FILE = "lieux-frais.synthetic.csv"
CLIMATE_75_FILE = "population-75-plus.synthetic.csv"  # written by the climate pack's demo
# national orders of magnitude (RP 2021): 75+ about 9.5 % of the population, 80+ about 58 % of
# the 75+, and about 45 % of the 80+ living alone
SHARE_75, SHARE_80, SHARE_ALONE = 0.095, 0.58, 0.45
PLACE_TYPES = ["parc", "jardin", "salle_rafraichie", "bibliotheque", "piscine", "lieu_de_culte", "brumisateur"]


def seeded(*parts: object) -> np.random.Generator:
    """A generator seeded by its parts: the same parts always draw the same numbers."""
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode()))


def _iris_codes(data: Path, codes: list[str]) -> dict[str, list[str]]:
    """IRIS per commune: those of the Filosofi IRIS file, else the whole commune as one IRIS."""
    found: dict[str, list[str]] = {c: [] for c in codes}
    path = data / "filosofi-2021-iris-disp.csv"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            iris = line.split(";", 1)[0]
            if commune_of(iris[:5]) in found:  # Paris's IRIS codes start with their arrondissement's
                found[commune_of(iris[:5])].append(iris)
    return {c: sorted(v) or [c + "0000"] for c, v in found.items()}


def _climate_75(data: Path) -> dict[str, float]:
    """The climate pack's synthetic 75+ per commune, when its demo wrote them (one story for both packs)."""
    path = data / CLIMATE_75_FILE
    if not path.is_file():
        return {}
    rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line]
    return {r[0]: float(r[2]) for r in rows if len(r) > 2 and r[2]}


def write_population_iris(data: Path, codes: list[str]) -> None:
    ref = referential()
    known_75 = _climate_75(data)
    lines = ["IRIS;COM;TYP_IRIS;P21_POP;P21_POP75P;P21_POP80P;P21_POP80P_PSEUL;SYNTHETIQUE"]
    for code, iris in _iris_codes(data, codes).items():
        pop = float(ref.communes[code].population or 0)
        p75 = known_75.get(code, pop * SHARE_75)
        rng = seeded("population-iris", code)
        n = len(iris)
        w_pop = rng.dirichlet(np.full(n, 8.0)) if n > 1 else np.ones(1)
        # older people are unevenly spread between neighbourhoods: a second, wider draw
        w_75 = w_pop * rng.lognormal(0.0, 0.45, n)
        w_75 = w_75 / w_75.sum()
        for i, code_iris in enumerate(iris):
            p = pop * float(w_pop[i])
            a = min(p75 * float(w_75[i]), 0.4 * p)
            b = a * SHARE_80 * float(rng.uniform(0.85, 1.15))
            alone = b * SHARE_ALONE * float(rng.uniform(0.7, 1.3))
            typ = "Z" if code_iris.endswith("0000") else "H"
            lines.append(f"{code_iris};{code};{typ};{p:.2f};{a:.2f};{b:.2f};{alone:.2f};oui")
    (data / POPULATION_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _point_in(geom: Any, rng: np.random.Generator) -> tuple[float, float]:
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(shapely.Point(x, y)):
            return round(float(x), 5), round(float(y), 5)
    point = geom.representative_point()
    return round(point.x, 5), round(point.y, 5)


def write_cool_places(data: Path, codes: list[str]) -> None:
    """About one place per 3,500 inhabitants (at least one per commune), drawn inside the commune."""
    import pyarrow.parquet as pq
    import shapely

    ref = referential()
    table = pq.read_table(ref.boundaries_path, columns=["code", "geometry"]).to_pylist()
    wanted = set(codes)
    geoms = {r["code"]: shapely.from_wkb(r["geometry"]) for r in table if r["code"] in wanted}
    lines = ["identifiant;nom;type;longitude;latitude;code_commune;horaires;synthetique"]
    for code in sorted(geoms):
        commune = ref.communes[code]
        rng = seeded("lieux-frais", code)
        count = max(1, round((commune.population or 0) / 3500 * float(rng.uniform(0.6, 1.4))))
        for i in range(count):
            kind = PLACE_TYPES[int(rng.integers(len(PLACE_TYPES)))]
            lon, lat = _point_in(geoms[code], rng)
            name = f"{kind.replace('_', ' ').capitalize()} {i + 1} de {commune.nom} (synthétique)"
            lines.append(f"LF-{code}-{i + 1:03d};{name};{kind};{lon};{lat};{code};9h-19h;true")
    (data / PLACES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


HOUSING_FILE = "logements-communes.synthetic.csv"


def write_housing(data: Path, codes: list[str]) -> None:
    """Main residences by period of construction and DPE counts per commune: about 2.2 persons a
    main residence, a third built before 1971 (more in small old communes), a DPE for about a
    quarter of them, 10 to 25 % of those labelled F or G."""
    ref = referential()
    lines = ["CODGEO;P21_RP_ACHTOT;P21_RP_ACH1919;P21_RP_ACH1945;P21_RP_ACH1970;nb_dpe;nb_dpe_f_g;SYNTHETIQUE"]
    for code in codes:
        rng = seeded("logements", code)
        rp = (ref.communes[code].population or 0) / 2.2 * float(rng.uniform(0.9, 1.1))
        old = float(rng.uniform(0.2, 0.45))
        split = rng.dirichlet([2.0, 1.0, 3.0])
        dpe = int(rng.binomial(int(rp), 0.25))
        fg = int(rng.binomial(dpe, float(rng.uniform(0.10, 0.25))))
        before = [rp * old * float(s) for s in split]
        lines.append(f"{code};{rp:.2f};{before[0]:.2f};{before[1]:.2f};{before[2]:.2f};{dpe};{fg};oui")
    (data / HOUSING_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
