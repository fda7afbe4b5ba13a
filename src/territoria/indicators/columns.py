"""French titles of the columns every indicator and model shares, for the French CSV's headers.

A source's columns are titled by its Table Schema; an indicator's or a model's come from its SQL,
so their titles come from here: the columns of the indicator contract (``mesh``, ``code``,
``period``, ``value`` and the quality columns), the usual breakdowns and the ones several packs
use. ``value`` carries the indicator's unit. An indicator titles its own other columns in its
pack (``extra: {columns: {jours_canicule: "Jours de canicule"}}``), which also overrides these.
A column with no title keeps its name.
"""

from __future__ import annotations

from territoria.indicators.definition import IndicatorDef

TITLES: dict[str, str] = {
    "indicator": "Indicateur",
    "version": "Version de l’indicateur",
    "unit": "Unité",
    "mesh": "Maille",
    "code": "Code du lieu",
    "libelle": "Nom du lieu",
    "parent_code": "Code du lieu englobant",
    "period": "Période",
    "value": "Valeur",
    "masked_share": "Part masquée par le secret statistique",
    "estimated_share": "Part estimée",
    "completeness": "Complétude",
    "secret": "Secret statistique",
    "lower_bound": "Valeur minimale (des cellules sont masquées)",
    "masked_input": "Cellule source masquée",
    "comparable": "Comparable à l’année de référence",
    "sector": "Secteur",
    "energy": "Énergie",
    "measure": "Mesure",
    "nb_sites": "Nombre de sites",
    "consumption_mwh": "Consommation (MWh)",
    "reference_year": "Année de référence",
    "reference_value": "Valeur de l’année de référence",
    "target_value": "Valeur cible",
    "target_year": "Année cible",
    "target_reduction": "Réduction visée",
    "emission_factor_version": "Version des facteurs d’émission",
    "rang": "Rang",
    "nom": "Nom",
    "population": "Population",
    "departement": "Code du département",
    "departement_nom": "Département",
    "region": "Code de la région",
    "epci": "Code de l’EPCI",
}


def column_titles(indicator: IndicatorDef | None = None) -> dict[str, str]:
    """Column -> French title, for an indicator (its unit, its own titles) or a model (``None``)."""
    titles = dict(TITLES)
    if indicator is not None:
        titles["value"] = f"Valeur ({indicator.unit})"
        declared = indicator.extra.get("columns")
        if isinstance(declared, dict):
            titles.update({str(name): str(title) for name, title in declared.items()})
    return titles
