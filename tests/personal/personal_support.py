"""A workspace with a synthetic file of individuals (names, addresses, ages), declared personal,
a local pack deriving tables from it, a supply convention, a processing needing consent and
retention rules. Every person in it is generated here: the data is synthetic and labelled so."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from territoria.core.yamlio import write_yaml
from territoria.testing.entries import catalog_entry, file_source, write_entry
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

DATASET = "individus"
PURPOSE = "Plan canicule : registre des personnes vulnérables"
DERIVED = ["personnes_agees", "personnes_par_commune"]
COMMUNES = ["35238", "35047", "35206"]
FIRST = ["Maëlle", "Gwenaël", "Rozenn", "Yannick", "Soizic", "Erwan", "Katell", "Loïc", "Nolwenn", "Tanguy"]
LAST = ["Le Goff", "Kerhervé", "Quéméner", "Le Bihan", "Tanguy-Prigent", "Morvan", "Guivarc'h", "Le Floc'h"]
STREETS = ["rue des Lilas", "allée Anne de Bretagne", "boulevard de la Liberté", "impasse des Genêts"]


@dataclass(frozen=True)
class Person:
    identifiant: str
    prenom: str
    nom: str
    adresse: str
    code: str
    age: int


def people(n: int = 40, seed: int = 15) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            Person(
                identifiant=f"SYN-{1000 + i}",
                prenom=rng.choice(FIRST),
                nom=f"{rng.choice(LAST)}-{i:02d}",  # unique: a name found anywhere is this person's
                adresse=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                code=COMMUNES[i % len(COMMUNES)],
                age=rng.randint(60, 98),
            )
        )
    return out


def phone(p: Person) -> str:
    """An undeclared column of the file: it must not even reach the quarantine."""
    return f"06 99 {p.identifiant[-4:-2]} {p.identifiant[-2:]} 00"


#: a row that fails validation (its raw values go to the quarantine) and a ragged line (the reader
#: rejects it with its text): neither may leave a name behind
BAD_ROWS = [
    ["SYN-9999", "Anne", "Quarantaine-Invalide", "1 rue Introuvable", "35238", "quatre-vingts", "06 99 99 99 00"],
    ["SYN-9998", "Jean", "Ligne-Bancale", "2 rue Bancale", "35238", "80", "06 99 99 98 00", "en trop"],
]
BAD_NEEDLES = {"Quarantaine-Invalide", "1 rue Introuvable", "SYN-9999", "Ligne-Bancale", "2 rue Bancale", "SYN-9998"}


SCHEMA = {
    "primaryKey": "identifiant",
    "fields": [
        {"name": "identifiant", "type": "string", "personal": "pseudonymise", "constraints": {"required": True}},
        {"name": "prenom", "type": "string", "personal": "drop"},
        {"name": "nom", "type": "string", "personal": "drop"},
        {"name": "adresse", "type": "string", "personal": "drop"},
        {"name": "code", "type": "string", "personal": "indirect"},
        {"name": "age", "type": "integer", "personal": "indirect", "constraints": {"minimum": 0}},
    ],
}

MODELS = {
    # a derived table keeps the pseudonym: a withdrawn person must leave it too
    "personnes_agees": "SELECT identifiant, code, age FROM ref('individus') WHERE age >= 75",
    "personnes_par_commune": "SELECT code, count(*) AS personnes, avg(age) AS age_moyen "
    "FROM ref('individus') GROUP BY code",
}

POLICIES: dict[str, Any] = {
    "conventions": [
        {
            "partner": "ccas-synthetique",
            "kind": "supply",
            "datasets": [DATASET],
            "purpose": "Plan canicule : registre des personnes vulnérables",
            "legal_basis": "mission d'intérêt public (art. 6-1-e RGPD), art. L121-6-1 CASF",
            "start": "2020-01-01",
            "until": "2099-12-31",
        },
        {
            "partner": "ars-synthetique",
            "datasets": [DATASET, "personnes_agees"],
            "roles": ["partner"],
            "purpose": "Veille sanitaire canicule",
            "legal_basis": "obligation légale (art. 6-1-c RGPD)",
            "until": "2099-12-31",
        },
    ],
    "personal": {
        "controller": "Métropole synthétique (test)",
        "dpo": "DPO synthétique",
        "datasets": {
            DATASET: {
                "purpose": PURPOSE,
                "legal_basis": "mission d'intérêt public (art. 6-1-e RGPD)",
                "subject": "identifiant",
                "consent": True,
                "reidentify": True,
                "subjects": "personnes âgées inscrites au registre canicule",
                "categories": ["âge", "commune de résidence"],
            }
        },
    },
    "retention": {"datasets": {DATASET: {"landing_days": 0, "published_days": 0}}},
}


def build(root: Path, persons: list[Person]) -> Workspace:
    ws = init_workspace(root, communes=COMMUNES, name="Trois communes (synthétique)")
    with (ws.root / "data" / "individus.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["identifiant", "prenom", "nom", "adresse", "code", "age", "telephone"])
        writer.writerows([p.identifiant, p.prenom, p.nom, p.adresse, p.code, p.age, phone(p)] for p in persons)
        writer.writerows(BAD_ROWS)
    entry = catalog_entry(
        DATASET,
        file_source("individus.csv", delimiter=";"),
        title="Registre canicule (synthétique)",
        publisher="CCAS synthétique",
        description="Personnes inscrites au registre canicule — données synthétiques générées par un test.",
        access="personal",
        synthetic=True,
        publish=True,
        schema=SCHEMA,
    )
    write_entry(ws.sources_dir, entry)
    pack = ws.root / "packs" / "social_test"
    (pack / "models").mkdir(parents=True)
    models = []
    for name, sql in MODELS.items():
        (pack / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
        models.append({"name": name, "title": name, "sql": f"models/{name}.sql", "publish": True, "access": "personal"})
    definition = {"name": "social_test", "title": "Pack local (test)", "models": models}
    (pack / "pack.yaml").write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load((ws.root / "territory.yaml").read_text(encoding="utf-8"))
    config["packs"]["social_test"] = {"path": "packs/social_test"}
    (ws.root / "territory.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    write_yaml(ws.root / "policies.yaml", {**DEFAULT_POLICIES, **POLICIES})
    return Workspace(ws.root)
