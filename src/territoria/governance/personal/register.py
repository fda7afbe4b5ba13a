"""The register of processing activities (registre des traitements, GDPR art. 30), from the workspace.

One entry per dataset holding personal data (a field declared ``personal:`` in its schema, a
``personal`` access level, or a processing under ``personal.datasets``): its purpose and legal
basis, the people concerned and the categories of data, where it comes from, who receives it
(the roles of its access level and the partners of the conventions covering it), how long each
copy is kept, and the security measures territoria applies. Nothing is typed twice: every line
is read from ``sources/``, ``policies.yaml`` and the keyring. Written in French (the register is
a document for the controller and the CNIL); Markdown or a self-contained HTML page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from territoria.catalog.model import DatasetEntry
from territoria.core.vocab import AccessLevel
from territoria.governance.personal.gate import personal_fields, subject_field
from territoria.governance.personal.keys import Keyring
from territoria.workspace import Workspace
from territoria.workspace.policies import DatasetRetention, Policies, as_policies

KINDS = {
    "pseudonymise": "pseudonymisé à l'entrée (HMAC-SHA256 à clé)",
    "drop": "supprimé à l'entrée, jamais stocké",
    "indirect": "donnée indirectement identifiante, conservée",
}
UNDEFINED = "non définie (à fixer dans policies.yaml, retention.datasets)"


@dataclass
class Entry:
    dataset: str
    title: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Register:
    territory: str
    controller: str
    dpo: str
    generated: str
    entries: list[Entry]


def _personal(entry: DatasetEntry, policies: Policies) -> bool:
    return (
        bool(personal_fields(entry))
        or entry.access is AccessLevel.personal
        or entry.identifier in policies.personal.datasets
    )


def _days(value: int | None, what: str) -> str:
    return f"{what} : {value} jours" if value is not None else f"{what} : {UNDEFINED}"


def _retention(rule: DatasetRetention | None) -> list[str]:
    rule = rule or DatasetRetention()
    return [
        _days(rule.landing_days, "fichiers bruts reçus"),
        _days(rule.staging_days, "table de travail (staging)"),
        _days(rule.published_days, "copies dans les publications antérieures"),
        *(f"champ {name} : {days} jours après sa première intégration" for name, days in sorted(rule.fields.items())),
    ]


def _recipients(entry: DatasetEntry, policies: Policies, today: date) -> list[str]:
    roles = getattr(policies.access, entry.access.value)
    out = [f"rôles internes ({entry.access.value}) : {', '.join(r.value for r in roles)}"]
    for conv in policies.conventions:
        if conv.kind == "access" and entry.identifier in conv.datasets:
            state = "en vigueur" if conv.active(today) else "hors période"
            out.append(
                f"partenaire {conv.partner} ({state}, {conv.start or '…'} → {conv.until or '…'}) — finalité : "
                f"{conv.purpose or 'non précisée'} ; base légale : {conv.legal_basis or 'non précisée'}"
            )
    return out


def _origin(entry: DatasetEntry, policies: Policies, today: date) -> list[str]:
    out = [f"producteur : {entry.publisher.name}"]
    if entry.synthetic:
        out.append("données synthétiques (générées, aucune personne réelle)")
    for conv in policies.conventions:
        if conv.kind == "supply" and entry.identifier in conv.datasets:
            state = "en vigueur" if conv.active(today) else "hors période : données retirées"
            out.append(
                f"convention de fourniture avec {conv.partner} ({state}, {conv.start or '…'} → {conv.until or '…'})"
            )
    return out


def _measures(ws: Workspace, entry: DatasetEntry, policies: Policies) -> list[str]:
    fields = personal_fields(entry)
    processing = policies.personal.datasets.get(entry.identifier)
    out = []
    if any(kind == "pseudonymise" for kind in fields.values()):
        keys = Keyring(ws.private).describe()
        current = next(k for k in keys if k["current"])
        out.append(
            f"pseudonymisation à l'entrée : HMAC-SHA256, clé {current['id']} créée le {current['created'][:10]} "
            f"({len(keys)} clé(s) détenue(s) ; rotation : `territoria personal rotate-key`)"
        )
    dropped = [name for name, kind in fields.items() if kind == "drop"]
    if dropped:
        out.append(f"minimisation : {', '.join(dropped)} supprimé(s) avant tout stockage de travail")
    out.append(f"niveau d'accès « {entry.access.value} » ; chaque lecture non ouverte est journalisée (journal chaîné)")
    out.append("fichiers bruts, clés et journaux dans .territoria/ (accès réservé au propriétaire, 0700)")
    if processing is not None and processing.consent:
        out.append("registre des consentements : un retrait supprime la personne à l'exécution suivante")
    if processing is not None and processing.reidentify:
        out.append("table de ré-identification réservée aux administrateurs, chaque lecture journalisée")
    out.append("effacements à échéance signés (HMAC) dans .territoria/personal/erasures.jsonl")
    return out + list(policies.personal.measures)


def build_register(ws: Workspace, today: date | None = None) -> Register:
    policies = as_policies(ws.policies())
    day = today or datetime.now(UTC).date()
    entries = []
    for entry in sorted(ws.entries().values(), key=lambda e: e.identifier):
        if not _personal(entry, policies):
            continue
        processing = policies.personal.datasets.get(entry.identifier)
        fields = personal_fields(entry)
        subject = subject_field(entry, processing)
        categories = list(processing.categories) if processing else []
        categories += [f"{name} : {KINDS[kind]}" for name, kind in fields.items()]
        sections = [
            ("Finalité", [processing.purpose if processing else "non déclarée (personal.datasets dans policies.yaml)"]),
            ("Base légale", [processing.legal_basis if processing else "non déclarée"]),
            ("Personnes concernées", [processing.subjects if processing else "personnes physiques"]),
            ("Catégories de données", categories or ["non précisées"]),
            ("Origine des données", _origin(entry, policies, day)),
            ("Destinataires", _recipients(entry, policies, day)),
            ("Durées de conservation", _retention(policies.retention.datasets.get(entry.identifier))),
            ("Mesures de sécurité", _measures(ws, entry, policies)),
        ]
        if processing is not None and processing.consent:
            sections.append(
                ("Consentement", [f"requis ; la personne est identifiée par le champ pseudonymisé {subject}"])
            )
        entries.append(Entry(entry.identifier, entry.title, sections))
    return Register(
        territory=ws.config.name,
        controller=policies.personal.controller or ws.config.name,
        dpo=policies.personal.dpo or "non désigné dans policies.yaml",
        generated=day.isoformat(),
        entries=entries,
    )


def to_markdown(reg: Register) -> str:
    lines = [
        f"# Registre des activités de traitement — {reg.territory}",
        "",
        f"- Responsable du traitement : {reg.controller}",
        f"- Délégué à la protection des données : {reg.dpo}",
        f"- Généré le {reg.generated} par territoria (article 30 du RGPD)",
        "",
    ]
    if not reg.entries:
        lines.append("Aucun jeu de données de l'espace de travail ne contient de données personnelles.")
    for e in reg.entries:
        lines += [f"## {e.title} (`{e.dataset}`)", ""]
        for heading, items in e.sections:
            lines += [f"### {heading}", "", *(f"- {item}" for item in items), ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(reg: Register) -> str:
    esc = html.escape
    parts = [
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">',
        f"<title>Registre des activités de traitement — {esc(reg.territory)}</title></head><body>",
        f"<h1>Registre des activités de traitement — {esc(reg.territory)}</h1><ul>",
        f"<li>Responsable du traitement : {esc(reg.controller)}</li>",
        f"<li>Délégué à la protection des données : {esc(reg.dpo)}</li>",
        f"<li>Généré le {esc(reg.generated)} par territoria (article 30 du RGPD)</li></ul>",
    ]
    for e in reg.entries:
        parts.append(f"<h2>{esc(e.title)} (<code>{esc(e.dataset)}</code>)</h2>")
        for heading, items in e.sections:
            parts.append(f"<h3>{esc(heading)}</h3><ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
