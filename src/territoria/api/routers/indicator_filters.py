"""The filters of ``GET /api/indicators/{id}/values`` (``mesh``, ``code``, ``period``), checked.

A mistake is refused with a 400 saying what is wrong and what to send instead: a mesh the
indicator has no values at, an arrondissement's code where the values are by commune, a commune
or EPCI outside the territory, a code that names no place, a period not written as the
indicator's are. A filter that is right but matches nothing (a commune of the territory without a
value, a year without data) still answers 200 with an empty list.

What is known of a place comes from the territory (``manifest.json``: its communes and EPCI), the
national referential (to say that a code is a commune elsewhere) and the published values the
caller may read: suggestions never name a code of a dataset the caller may not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from territoria.api.errors import ApiError
from territoria.core.suggest import did_you_mean
from territoria.publication.reader import Publication
from territoria.reference.arrondissements import arrondissement_commune, commune_of
from territoria.reference.referential import referential

#: the meshes whose places are administrative units the territory names (others: stations,
#: sensors, networks... known from the published values only)
ADMINISTRATIVE = ("commune", "iris", "epci", "departement")
IRIS_LENGTH = 9
#: breakdown columns whose values are a small vocabulary (energy_ghg: sector, energy)
CATEGORIES = ("sector", "energy")

Rows = Callable[[str], list[dict[str, Any]]]


def _shown(value: str) -> str:
    """A caller's value as a message quotes it: cut short, as a Python literal (control characters escaped)."""
    return repr(value[:50])


def meshes_of(pub: Publication, indicator_id: str, rows: list[dict[str, Any]]) -> list[str]:
    """The meshes the indicator declares, then those its values have, each once."""
    return list(dict.fromkeys([*pub.indicator(indicator_id)["meshes"], *(str(r["mesh"]) for r in rows)]))


def check_mesh(mesh: str, meshes: list[str], indicator_id: str) -> None:
    if mesh in meshes:
        return
    close = did_you_mean(mesh, meshes)
    raise ApiError(
        400,
        f"indicator {indicator_id!r} has no mesh {_shown(mesh)}: its meshes are {', '.join(meshes)}",
        hint=close or (f"mesh={meshes[0]}" if meshes else None),
        code="unknown-mesh",
    )


def _shape(period: str) -> str:
    return re.sub(r"[0-9]", "9", period)


def check_period(period: str, periods: Iterable[Any], indicator_id: str) -> None:
    """A period written as none of the indicator's (``2022-01`` where they are years) is a mistake;
    one written alike without values (``1850``) matches nothing."""
    known = sorted({str(p) for p in periods})
    if not known or _shape(period) in {_shape(p) for p in known}:
        return
    examples = ", ".join(known[-3:])
    raise ApiError(
        400,
        f"period {_shown(period)} is not written as the periods of {indicator_id!r} are (e.g. {examples})",
        hint=did_you_mean(period, known) or f"period={known[-1]}",
        code="unknown-period",
    )


def check_category(column: str, value: str, known: set[str] | None, indicator_id: str) -> None:
    """A sector or energy the indicator's values never name is a mistake (``electricty``); a
    column it does not have is left to the caller's filter (it matches nothing)."""
    if known is None or value in known:
        return
    listed = sorted(known)
    raise ApiError(
        400,
        f"no {column} {_shown(value)} in the values of {indicator_id!r}: its {column} values are "
        + ", ".join(listed[:12])
        + (", ..." if len(listed) > 12 else ""),
        hint=did_you_mean(value, listed) or (f"{column}={listed[0]}" if listed else None),
        code=f"unknown-{column}",
    )


class Places:
    """The places a code may name at each mesh, for one request (the caller's readable values)."""

    def __init__(self, pub: Publication, codes_at: Callable[[str], set[str]]) -> None:
        self.pub = pub
        territory = pub.manifest["territory"]
        self.name: str = territory.get("name") or "the territory"
        self.communes: list[str] = list(territory.get("communes") or [])
        self.epci: str | None = territory.get("epci")
        #: codes the caller's readable indicators have values for, by mesh
        self.codes_at = codes_at

    def _commune_name(self, code: str) -> str:
        found = referential().communes.get(code)
        return f"{code} ({found.nom})" if found else code

    def problem(self, mesh: str, code: str, own: set[str]) -> ApiError | None:
        """Why ``code`` names no place at ``mesh`` of this territory, or None when it does
        (``own``: the codes the indicator has values for at ``mesh``)."""
        if code in own:
            return None
        if mesh == "commune":
            return self._commune(code, own)
        if mesh == "iris":
            return self._iris(code)
        if mesh == "epci":
            return self._epci(code)
        if mesh == "departement":
            return self._departement(code)
        known = self.codes_at(mesh)
        if code in known:
            return None
        return ApiError(
            400,
            f"no {mesh} {_shown(code)} in the published values",
            hint=did_you_mean(code, sorted(own)) or f"the indicator's {mesh} codes are listed by its values (no code=)",
            code="unknown-code",
        )

    def _commune(self, code: str, own: set[str]) -> ApiError | None:
        if code in self.communes:
            return None
        city = arrondissement_commune(code)
        if city is not None and city in self.communes:
            return ApiError(
                400,
                f"{code} is a municipal arrondissement of {self._commune_name(city)}: the values are by commune",
                hint=f"code={commune_of(code)}",
                code="arrondissement",
            )
        national = referential().communes.get(code)
        if national is not None or city is not None:
            return ApiError(
                400,
                f"the commune {self._commune_name(city or code)} is not in the territory ({self.name})",
                hint="GET /api/geo/communes lists the territory's communes",
                code="outside-territory",
            )
        close = did_you_mean(code, sorted(set(self.communes) | own))
        return ApiError(
            400,
            f"unknown commune code {_shown(code)}: a commune is named by its 5-character INSEE code",
            hint=close or "GET /api/geo/communes lists the territory's communes",
            code="unknown-code",
        )

    def _iris(self, code: str) -> ApiError | None:
        commune = commune_of(code[:5]) if len(code) == IRIS_LENGTH and code.isascii() and code.isalnum() else None
        if commune is not None and commune in self.communes:
            return None
        if commune is not None and (commune in referential().communes or arrondissement_commune(code[:5])):
            return ApiError(
                400,
                f"the IRIS {code} is in {self._commune_name(commune)}, which is not in the territory ({self.name})",
                hint="GET /api/geo/communes lists the territory's communes",
                code="outside-territory",
            )
        return ApiError(
            400,
            f"unknown IRIS code {_shown(code)}: an IRIS is named by its 9-character code "
            "(its commune's INSEE code, then 4 digits)",
            hint=did_you_mean(code, sorted(self.codes_at("iris"))),
            code="unknown-code",
        )

    def _epci(self, code: str) -> ApiError | None:
        if code == self.epci or code in self.codes_at("epci"):
            return None
        found = referential().epcis.get(code)
        if found is not None:
            return ApiError(
                400,
                f"the EPCI {code} ({found.nom}) is not the territory's ({self.name})",
                hint=f"code={self.epci}" if self.epci else None,
                code="outside-territory",
            )
        return ApiError(
            400,
            f"unknown EPCI code {_shown(code)}: an EPCI is named by its 9-digit SIREN",
            hint=f"code={self.epci}" if self.epci else None,
            code="unknown-code",
        )

    def _departement(self, code: str) -> ApiError | None:
        national = referential().communes
        mine = {national[c].departement for c in self.communes if c in national} | self.codes_at("departement")
        if code in mine:
            return None
        listed = sorted(d for d in mine if d)
        return ApiError(
            400,
            f"no département {_shown(code)} in the territory ({self.name})",
            hint=did_you_mean(code, listed) or f"one of: {', '.join(listed)}",
            code="outside-territory",
        )


def check_code(places: Places, code: str, mesh: str | None, meshes: list[str], own: Callable[[str], set[str]]) -> None:
    """``code`` names a place of the territory at ``mesh`` (at any of the indicator's meshes when
    none is given), or the first mesh's reason why not is the refusal."""
    problems: list[ApiError] = []
    for m in [mesh] if mesh is not None else meshes:
        found = places.problem(m, code, own(m))
        if found is None:
            return
        problems.append(found)
    if problems:  # the most telling reason: an arrondissement, a place outside, before "unknown"
        raise next((p for p in problems if p.code != "unknown-code"), problems[0])
