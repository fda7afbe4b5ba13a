"""Demo inputs of the territory pack: the population CSV, in INSEE's convention."""

from __future__ import annotations

from territoria.core.wording import grouped
from territoria.reference.referential import referential
from territoria.workspace import Workspace

POPULATION_YEAR = 2022


def prepare(ws: Workspace) -> None:
    ref = referential()
    lines = ["CODGEO;LIBGEO;PMUN;ANNEE"]
    for code in ws.config.communes:
        commune = ref.communes[code]
        if commune.population is None:
            continue
        # INSEE's spreadsheets group thousands with a space; the schema declares groupChar " "
        lines.append(f"{code};{commune.nom};{grouped(commune.population, ' ')};{POPULATION_YEAR}")
    target = ws.root / "data" / "population-communes.csv"
    target.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
