"""Read access to the compact referential in ``reference/data``.

The files are derived by ``scripts/build_reference.py`` from Etalab's découpage administratif
(MIT) and IGN Admin Express 2018 boundaries (Licence Ouverte); attributions and vintages are in
``vintages.json``. Loading the tables costs a few tens of milliseconds, so one instance is cached
per process.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from territoria.core.errors import NotFoundError
from territoria.core.suggest import did_you_mean
from territoria.reference.arrondissements import arrondissement_commune


def _arrondissement_hint(code: str, communes: Mapping[str, Any]) -> str | None:
    """Paris, Lyon and Marseille's arrondissements have codes of their own (75101, 69381, 13201...)
    that are not communes: the hint names the commune, not look-alike codes elsewhere."""
    commune = arrondissement_commune(code)
    if commune is None or commune not in communes:
        return None
    nom = getattr(communes[commune], "nom", commune)
    return f"{code} is a municipal arrondissement of {nom}: use the commune's code, {commune}"


def _separator_hint(code: str, communes: Mapping[str, Any]) -> str | None:
    """Known codes joined by something else than a comma (``35238;35047``)."""
    parts = re.split(r"[\s;|/]+", code)
    if len(parts) > 1 and all(p in communes for p in parts):
        return f"separate the codes with commas: {','.join(parts)}"
    return None


#: letters typed for the digits they look like (O for 0, I or l for 1)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _lookalike_hint(code: str, communes: Mapping[str, Any]) -> str | None:
    """``35O47`` for 35047: a letter where a digit looks the same (Corsica's A and B are letters)."""
    fixed = code[:2] + code[2:].translate(_LOOKALIKES) if code[:2] in ("2A", "2B") else code.translate(_LOOKALIKES)
    if fixed != code and fixed in communes:
        return f"did you mean {fixed} ({getattr(communes[fixed], 'nom', fixed)})? (a letter O or I for a digit)"
    return None


def data_dir() -> Path:
    return Path(str(resources.files("territoria.reference") / "data"))


@dataclass(frozen=True)
class Commune:
    code: str
    nom: str
    departement: str | None
    region: str | None
    epci: str | None
    population: int | None


@dataclass(frozen=True)
class Departement:
    code: str
    nom: str
    #: its communes' codes, sorted
    communes: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    code: str
    nom: str
    #: its départements' codes and its communes' codes, sorted
    departements: tuple[str, ...]
    communes: tuple[str, ...]


#: INSEE's region codes before the 2016 reform -> (name, the region it is part of since): a team's
#: older files and habits still say 25 for Basse-Normandie or 82 for Rhône-Alpes (COG 2016)
FORMER_REGIONS = {
    "21": ("Champagne-Ardenne", "44"),
    "22": ("Picardie", "32"),
    "23": ("Haute-Normandie", "28"),
    "25": ("Basse-Normandie", "28"),
    "26": ("Bourgogne", "27"),
    "31": ("Nord-Pas-de-Calais", "32"),
    "41": ("Lorraine", "44"),
    "42": ("Alsace", "44"),
    "43": ("Franche-Comté", "27"),
    "54": ("Poitou-Charentes", "75"),
    "72": ("Aquitaine", "75"),
    "73": ("Midi-Pyrénées", "76"),
    "74": ("Limousin", "75"),
    "82": ("Rhône-Alpes", "84"),
    "83": ("Auvergne", "84"),
    "91": ("Languedoc-Roussillon", "76"),
}


@dataclass(frozen=True)
class Epci:
    siren: str
    nom: str
    nature: str
    population: int | None
    membres: tuple[str, ...]


class Referential:
    def __init__(self, directory: Path | None = None) -> None:
        import pyarrow.parquet as pq  # on first use: commands that never need the referential skip Arrow

        self.directory = directory or data_dir()
        self.communes_path = self.directory / "communes.parquet"
        self.epci_path = self.directory / "epci.parquet"
        self.boundaries_path = self.directory / "communes_geom.parquet"
        self.vintages: dict[str, Any] = json.loads((self.directory / "vintages.json").read_text(encoding="utf-8"))
        columns = ["code", "nom", "departement", "region", "epci", "population", "anciens_codes", "departement_nom"]
        communes = pq.read_table(self.communes_path, columns=[*columns, "zone"]).to_pylist()
        #: a former commune's code (merged into a commune nouvelle) -> the current commune(s) it is part of
        self.former: dict[str, tuple[str, ...]] = {}
        #: département (and overseas collectivity) code -> (name, zone: metro, drom or com), its communes
        self._departements: dict[str, tuple[str, str, list[str]]] = {}
        for row in communes:
            for old in row.pop("anciens_codes") or []:
                self.former[old] = (*self.former.get(old, ()), row["code"])
            # popped whatever the département: a Commune holds none of them
            nom, zone = row.pop("departement_nom"), row.pop("zone")
            self._departements.setdefault(row["departement"], (nom, zone, []))[2].append(row["code"])
        self.communes: dict[str, Commune] = {row["code"]: Commune(**row) for row in communes}
        epcis = pq.read_table(self.epci_path, columns=["siren", "nom", "nature", "population", "membres"]).to_pylist()
        self.epcis: dict[str, Epci] = {
            row["siren"]: Epci(
                siren=row["siren"],
                nom=row["nom"],
                nature=row["nature"],
                population=row["population"],
                membres=tuple(row["membres"]),
            )
            for row in epcis
        }
        self.without_boundary: dict[str, str] = {
            m["code"]: m["nom"] for m in self.vintages["communes_without_boundary"]
        }

    def epci(self, siren: str) -> Epci:
        siren = siren.strip().replace(" ", "")
        found = self.epcis.get(siren)
        if found is None:
            by_name = (
                [e.siren for e in self.epcis.values() if siren.lower() in e.nom.lower()] if not siren.isdigit() else []
            )
            hint = did_you_mean(siren, self.epcis, {k: v.nom for k, v in self.epcis.items()})
            if by_name:
                hint = "did you mean " + ", ".join(f"{s} ({self.epcis[s].nom})" for s in by_name[:5]) + "?"
            # a well-formed SIREN: maybe an EPCI newer than the shipped referential
            newer = siren.isdigit() and len(siren) == 9 and self._newer("An EPCI", "groups")
            usage = "an EPCI is named by its 9-digit SIREN; `territoria reference --search NAME` finds it."
            raise NotFoundError(
                f"unknown EPCI {siren!r}: it is not one of the {len(self.epcis)} EPCIs of the referential",
                hint=" ".join(h for h in (hint or usage, newer) if h),
            )
        return found

    def departement(self, code: str) -> Departement:
        """A département (2A and 2B for Corsica, 971-976 overseas) by its code, with its communes."""
        typed = code.strip()
        code = typed.upper().zfill(2) if typed.isdigit() and len(typed) == 1 else typed.upper()
        found = self._departements.get(code)
        if found is not None and found[1] != "com":
            return Departement(code, found[0], tuple(sorted(found[2])))
        count = sum(zone != "com" for _, zone, _ in self._departements.values())
        raise NotFoundError(
            f"unknown département {typed!r}: not one of the {count} départements", hint=self._dep_hint(code)
        )

    def _dep_hint(self, code: str) -> str:
        found = self._departements.get(code)
        if found is not None:  # an overseas collectivity: communes of their own, no département
            shown = ",".join(found[2][:12]) + (",..." if len(found[2]) > 12 else "")
            return (
                f"{code} is {found[0]}, an overseas collectivity (collectivité d'outre-mer), not a département: "
                f"name its communes with --communes {shown}"
            )
        if code == "20":
            return "Corsica is two départements since 1976: 2A (Corse-du-Sud) and 2B (Haute-Corse)"
        names = {k: nom for k, (nom, zone, _) in self._departements.items() if zone != "com"}
        by_name = [k for k, nom in names.items() if _fold(code) and _fold(code) in _fold(nom)]
        if by_name and not code.isdigit():
            return "did you mean " + ", ".join(f"{k} ({names[k]})" for k in by_name[:5]) + "?"
        usage = "a département is named by its code: 01-95, 2A and 2B for Corsica, 971-974 and 976 overseas"
        close = did_you_mean(code, names, names)
        return f"{close} ({usage})" if close else usage

    @functools.cached_property
    def regions(self) -> dict[str, Region]:
        """The 18 regions by code; an overseas collectivity (975, 977...) is in none. Made on first
        use: most commands never need them, and their names are a column more to read."""
        import pyarrow.parquet as pq

        table = pq.read_table(self.communes_path, columns=["region", "region_nom"])
        named = table.group_by("region").aggregate([("region_nom", "min")])
        names = dict(zip(named["region"].to_pylist(), named["region_nom_min"].to_pylist(), strict=True))
        members: dict[str, list[str]] = {}
        for dep, (_, zone, codes) in sorted(self._departements.items()):
            if zone != "com":
                members.setdefault(self.communes[codes[0]].region or "", []).append(dep)
        return {
            code: Region(
                code,
                names[code],
                tuple(deps),
                tuple(sorted(c for dep in deps for c in self._departements[dep][2])),
            )
            for code, deps in sorted(members.items())
        }

    def region(self, code: str) -> Region:
        """A region (2016's: 11-94 in metropolitan France, 01-04 and 06 overseas) by its INSEE code."""
        typed = code.strip()
        code = typed.zfill(2) if typed.isdigit() and len(typed) == 1 else typed.upper()
        found = self.regions.get(code)
        if found is not None:
            return found
        raise NotFoundError(
            f"unknown region {typed!r}: not one of the {len(self.regions)} regions", hint=self._region_hint(code)
        )

    def _region_hint(self, code: str) -> str:
        """What the code or name names instead: a region before 2016, a département, an overseas
        collectivity, Corsica as 20; else close region codes or names, and the list of regions."""
        said: list[str] = []
        if code in FORMER_REGIONS:
            old, now = FORMER_REGIONS[code]
            said.append(f"{code} was {old} until 2016, now part of {now} ({self.regions[now].nom}): --region {now}")
        dep = self._departements.get(code)
        if dep is not None and dep[1] == "com":
            said.append(self._dep_hint(code))
        elif dep is not None:
            region = self.regions[self.communes[dep[2][0]].region or ""]
            said.append(
                f"{code} is the département {dep[0]} (--departement {code}), "
                f"in region {region.code} ({region.nom}): --region {region.code}"
            )
        elif code == "20":
            said.append("Corsica is region 94 (Corse), départements 2A and 2B: --region 94")
        if said:
            return "; ".join(said)
        names = {k: r.nom for k, r in self.regions.items()}
        folded = _fold(code)
        by_name = [k for k, nom in names.items() if folded and folded in _fold(nom)]
        if by_name and not code.isdigit():
            return "did you mean " + ", ".join(f"{k} ({names[k]})" for k in by_name[:5]) + "?"
        for old, now in FORMER_REGIONS.values():
            if folded == _fold(old):
                return f"{old} is part of {now} ({names[now]}) since 2016: --region {now}"
        deps = [k for k, (nom, zone, _) in self._departements.items() if zone != "com" and folded == _fold(nom)]
        if deps and not code.isdigit():
            return f"{self._departements[deps[0]][0]} is a département: --departement {deps[0]}"
        usage = "a region is named by its INSEE code: " + ", ".join(f"{k} {n}" for k, n in names.items())
        close = did_you_mean(code, names, names)
        return f"{close} ({usage})" if close else usage

    def commune(self, code: str) -> Commune:
        code = code.strip().upper()
        found = self.communes.get(code)
        if found is None:
            hint = _separator_hint(code, self.communes) or _arrondissement_hint(code, self.communes)
            hint = hint or _lookalike_hint(code, self.communes)
            hint = hint or self._former_hint(code)
            if hint is None:
                close = did_you_mean(code, self.communes, {k: v.nom for k, v in self.communes.items()})
                # well formed: maybe a commune newer than the shipped referential
                newer = re.fullmatch(r"([013-9][0-9]|2[AB])[0-9]{3}", code) and self._newer("A commune", "was made of")
                hint = " ".join(h for h in (close, newer) if h) or None
            raise NotFoundError(
                f"unknown commune code {code!r}: not a current INSEE commune code "
                f"({self.vintages['communes']['version']})",
                hint=hint or "a commune is named by its 5-character INSEE code, e.g. 35238 for Rennes",
            )
        return found

    def _newer(self, kind: str, made: str) -> str:
        """For a well-formed code the referential lacks: it may name a newer commune or EPCI."""
        vintage = self.vintages["communes"]["vintage"]
        return (
            f"{kind} created after the referential ({vintage}) is not in it: name the communes it {made} "
            "with --communes."
        )

    def _former_hint(self, code: str) -> str | None:
        """A commune merged into a commune nouvelle since: the hint names the commune it is part of."""
        current = [self.communes[c] for c in self.former.get(code, ()) if c in self.communes]
        if not current:
            return None
        names = " and ".join(f"{c.code} ({c.nom})" for c in current)
        use = "one of their codes" if len(current) > 1 else "its code"
        return f"{code} is a former commune, now part of {names}: use {use}"

    def search(self, text: str, limit: int = 10) -> list[tuple[str, str, str]]:
        """Find regions, départements, EPCIs and communes whose name contains ``text`` (accent- and
        case-insensitive): each with the code its `init` option takes."""
        needle = _fold(text)
        hits: list[tuple[str, str, str]] = [
            ("region", r.code, r.nom) for r in self.regions.values() if needle in _fold(r.nom)
        ]
        for code, (nom, zone, _) in sorted(self._departements.items()):
            if zone != "com" and needle in _fold(nom):
                hits.append(("departement", code, nom))
        for e in self.epcis.values():
            if needle in _fold(e.nom):
                hits.append(("epci", e.siren, e.nom))
        for c in self.communes.values():
            if needle in _fold(c.nom):
                hits.append(("commune", c.code, c.nom))
        return hits[:limit]


def _fold(text: str) -> str:
    """Lower case, no accents, and any run of spaces, hyphens or apostrophes one space: "Ile d'Yeu"
    finds L'Île-d'Yeu, "Saint Malo" Saint-Malo (before, names were matched hyphen for hyphen)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


#: the overseas départements by name: a message says "for Mayotte", not "for département 976"
OVERSEAS_NAMES = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}


def departement_name(code: str) -> str:
    return OVERSEAS_NAMES.get(code, f"département {code}")


@functools.cache
def referential() -> Referential:
    return Referential()
