"""The register of processing (GDPR art. 30) and the personal-data commands, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from personal_support import DATASET, PURPOSE
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import UserError
from territoria.governance.personal.register import build_register, to_markdown


def test_the_register_says_what_article_30_asks(scenario: dict[str, Any]) -> None:
    ws = scenario["ws"]
    reg = build_register(ws)
    assert [e.dataset for e in reg.entries] == [DATASET]
    text = to_markdown(reg)
    headings = [
        "# Registre des activités de traitement",
        "### Finalité",
        "### Base légale",
        "### Personnes concernées",
        "### Catégories de données",
        "### Origine des données",
        "### Destinataires",
        "### Durées de conservation",
        "### Mesures de sécurité",
        "### Consentement",
    ]
    for heading in headings:
        assert heading in text, heading
    for fact in (
        "Responsable du traitement : Métropole synthétique (test)",
        PURPOSE,
        "mission d'intérêt public (art. 6-1-e RGPD)",
        "personnes âgées inscrites au registre canicule",
        "identifiant : pseudonymisé à l'entrée (HMAC-SHA256 à clé)",
        "nom : supprimé à l'entrée, jamais stocké",
        "données synthétiques",
        "convention de fourniture avec ccas-synthetique (hors période : données retirées",
        "partenaire ars-synthetique (en vigueur",
        "Veille sanitaire canicule",
        "fichiers bruts reçus : 0 jours",
        "table de travail (staging) : non définie",
        "clé k2",
        "minimisation : prenom, nom, adresse",
        "table de ré-identification réservée aux administrateurs",
    ):
        assert fact in text, fact
    assert not [n for n in scenario["needles"] if n in text]


def test_the_cli_exports_the_register_and_shows_retention_and_keys(scenario: dict[str, Any], tmp_path: Path) -> None:
    runner, w = CliRunner(), ["-w", str(scenario["ws"].root)]
    out = tmp_path / "registre.html"
    done = runner.invoke(app, ["register", "-f", "html", "-o", str(out), *w])
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<h3>Base légale</h3>" in page and 'lang="fr"' in page
    assert isinstance(runner.invoke(app, ["register", "-f", "odt", *w]).exception, UserError)

    planned = runner.invoke(app, ["retention", "plan", "--json", *w])
    assert planned.exit_code == 0 and isinstance(json.loads(planned.output), list)
    verified = runner.invoke(app, ["retention", "verify", *w])
    assert verified.exit_code == 0 and "signed and in its place" in verified.output

    keys = json.loads(runner.invoke(app, ["personal", "keys", "--json", *w]).output)
    assert [k["id"] for k in keys] == ["k1", "k2"] and all("secret" not in k for k in keys)
    typo = runner.invoke(
        app, ["personal", "consent", "withdraw", "-d", "individu", "--subject", "S", "--purpose", "p", *w]
    )
    assert isinstance(typo.exception, UserError) and "individus" in (typo.exception.hint or "")
