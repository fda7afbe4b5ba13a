"""Helpers of the API tests: a built workspace (Rennes Métropole, plus one commune without boundary) with an open, a
restricted and a personal published dataset, a partner convention, and a token per role."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from territoria.core.serves import serves
from territoria.core.yamlio import write_yaml
from territoria.pipelines import run_pipeline
from territoria.testing.entries import catalog_entry, file_source
from territoria.testing.live import LiveServer  # noqa: F401  # re-exported to the API tests
from territoria.workspace import Workspace, init_workspace
from territoria.workspace.workspace import DEFAULT_POLICIES

RENNES = "243500139"
NO_BOUNDARY = "14666"  # Sannerville: created after the 2018 boundaries
RESTRICTED = "conso-gaz-communes"
PERSONAL = "beneficiaires-aides"
PARTNER_ORG = "grdf"


def _source(identifier: str, title: str, access: str, csv: str) -> dict[str, object]:
    return catalog_entry(
        identifier,
        file_source(csv, delimiter=";"),
        title=title,
        publisher="Rennes Métropole",
        description=f"{title} (test)",
        licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        access=access,
        publish=True,
    )


def build_workspace(root: Path) -> Workspace:
    ws = init_workspace(root, epci=RENNES, communes=[NO_BOUNDARY], name="Rennes Métropole (test)")
    data = ws.root / "data"
    (data / "conso.csv").write_text(
        "code;conso_mwh;annee\n35238;1200.5;2022\n35047;310.25;2022\n35206;95.0;2022\n", encoding="utf-8"
    )
    (data / "aides.csv").write_text("id;nom;code;montant\n1;Jeanne Martin;35238;450\n2;Paul Durand;35047;300\n")
    write_yaml(
        ws.sources_dir / f"{RESTRICTED}.yaml", _source(RESTRICTED, "Consommation de gaz", "restricted", "conso.csv")
    )
    write_yaml(ws.sources_dir / f"{PERSONAL}.yaml", _source(PERSONAL, "Bénéficiaires d'aides", "personal", "aides.csv"))
    policies = dict(DEFAULT_POLICIES)
    policies["conventions"] = [
        {"partner": PARTNER_ORG, "datasets": [RESTRICTED], "purpose": "Suivi des consommations (convention test)"}
    ]
    write_yaml(ws.root / "policies.yaml", policies)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert summary.status == "success", [r.error for r in summary.failed]
    assert summary.publication, summary.publication_error
    return Workspace(root)


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def extension_router(workspace: Workspace) -> APIRouter:
    """An extension as a third-party package provides one (see test_api_extensions)."""
    router = APIRouter(prefix="/api/extension-test")

    @router.get("", openapi_extra=serves("public"))
    def hello() -> dict[str, str]:
        return {"territory": workspace.config.name}

    return router
