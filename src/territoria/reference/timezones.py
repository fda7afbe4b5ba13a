"""The legal time of each part of France (IANA zone names): a night, a day, a heat wave's hours
are local hours, and La Réunion's evening is four hours ahead of UTC all year where Paris's is one
or two. Météo-France's files and the sensors give UTC instants: they are read in the zone of the
commune they were measured in (a commune code's first three characters name it)."""

from __future__ import annotations

from collections.abc import Iterable

#: metropolitan France and Corsica
METROPOLITAN = "Europe/Paris"
#: the overseas départements and collectivities (first three characters of a commune code)
OVERSEAS = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}


def zone_of(code: str) -> str:
    """The zone of a commune (or a station numbered after its commune, 97418110)."""
    return OVERSEAS.get(code[:3], METROPOLITAN)


def territory_zone(communes: Iterable[str]) -> str:
    """The zone of a territory's communes: the one they share, Paris's for a territory across zones
    (its sensors then say their zone in their registry)."""
    zones = {zone_of(code) for code in communes}
    return zones.pop() if len(zones) == 1 else METROPOLITAN


def local_time_sql(instant: str, code: str) -> str:
    """SQL of the wall-clock time of ``instant`` (a TIMESTAMPTZ) in the zone of the part of France
    that ``code`` (SQL: a commune or station code) names. Branches of literal zones: every engine
    translates ``timezone(literal, t)``."""

    def at(zone: str) -> str:
        return f"timezone('{zone}', {instant})"

    branches = " ".join(f"WHEN '{dep}' THEN {at(zone)}" for dep, zone in OVERSEAS.items())
    return f"CASE left({code}, 3) {branches} ELSE {at(METROPOLITAN)} END"


__all__ = ["METROPOLITAN", "OVERSEAS", "local_time_sql", "territory_zone", "zone_of"]
