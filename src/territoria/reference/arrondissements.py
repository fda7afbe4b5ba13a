"""Paris, Lyon and Marseille's municipal arrondissements: INSEE codes of their own (75101-75120,
69381-69389, 13201-13216) that are no communes. Producers publish at their level what they publish
below the commune: an IRIS code starts with its arrondissement's code (751010101), INSEE's
infra-communal bases and Enedis's IRIS file name the arrondissement as the IRIS's commune, a
Météo-France station's number starts with it (Paris-Montsouris is 75114001). A territory is made of
communes (75056): what such a file says of an arrondissement belongs to its commune."""

from __future__ import annotations

#: (first code, last code, the commune they divide)
ARRONDISSEMENTS = ((75101, 75120, "75056"), (69381, 69389, "69123"), (13201, 13216, "13055"))


def arrondissement_commune(code: str) -> str | None:
    """The commune an arrondissement's code divides, or None for any other code."""
    # ASCII only: str.isdigit() and int() also take full-width ('７５１０１') and other scripts' digits
    number = int(code) if code.isascii() and code.isdigit() and len(code) == 5 else 0
    return next((commune for low, high, commune in ARRONDISSEMENTS if low <= number <= high), None)


def commune_of(code: str) -> str:
    """The commune of a 5-character code: its own commune for an arrondissement, else the code."""
    return arrondissement_commune(code) or code


def arrondissements_of(commune: str) -> list[str]:
    """The codes of a city's arrondissements (75101...75120 for Paris), none for another commune."""
    return [str(n) for low, high, city in ARRONDISSEMENTS if city == commune for n in range(low, high + 1)]


def commune_of_sql(code: str) -> str:
    """SQL of ``commune_of`` on a 5-character code (SQL text): the pack macro ``commune_of(code)``
    (``catalog/sql_macros.py``). Text bounds: the codes compared are of the same length."""
    branches = " ".join(
        f"WHEN {code} BETWEEN '{low}' AND '{high}' THEN '{commune}'" for low, high, commune in ARRONDISSEMENTS
    )
    return f"CASE {branches} ELSE {code} END"


__all__ = ["ARRONDISSEMENTS", "arrondissement_commune", "arrondissements_of", "commune_of", "commune_of_sql"]
