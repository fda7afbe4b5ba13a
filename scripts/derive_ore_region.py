"""Derive the energy pack's regional totals from Agence ORE's regional file.

    python scripts/derive_ore_region.py conso-elec-gaz-annuelle-par-naf-agregee-region.csv

The producer's file (« Consommation annuelle d'électricité et gaz par région et par secteur
d'activité (NAF) », API export: `;`, snake_case names, one line per operator, region, year,
category and NAF division) is summed per region, year, energy and major sector (R, T, I, A, X):
consumption in MWh (gas in MWh PCS), delivery points, and the number of cells the producer
masked. Lines without a region (`Fr`, `XX`) are left out. The result,
src/territoria/usecases/energy_ghg/data/conso-elec-gaz-region.csv, is what the pack compares a
territory with (indicator part_region); its attribution is data/ATTRIBUTION.md.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src/territoria/usecases/energy_ghg/data/conso-elec-gaz-region.csv"
COLUMNS = ["code_region", "libelle_region", "annee", "filiere", "code_grand_secteur", "conso_mwh", "pdl",
           "mailles_secretisees"]  # fmt: skip


def derive(source: Path) -> list[list[str]]:
    sums: dict[tuple[str, str, str, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    with source.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if not row["code_region"].isdigit():
                continue  # `Fr` (France) and `XX` (unknown region)
            key = (row["code_region"], row["libelle_region"], row["annee"], row["filiere"], row["code_grand_secteur"])
            total = sums[key]
            total[0] += Decimal(row["conso"] or 0)
            total[1] += Decimal(row["pdl"] or 0)
            total[2] += Decimal(row["nombre_mailles_secretisees"] or 0)
    return [[*key, str(c), str(p), str(m)] for key, (c, p, m) in sorted(sums.items())]


def write(rows: list[list[str]], dest: Path) -> None:
    with dest.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";", lineterminator="\n")
        out.writerow(COLUMNS)
        out.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = derive(Path(sys.argv[1]))
    write(rows, TARGET)
    print(f"{len(rows)} region x year x energy x sector rows written to {TARGET}")
