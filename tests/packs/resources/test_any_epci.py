"""The resources pack on three EPCIs other than Rennes Métropole (the seed-13 draw of
tests/packs/test_any_epci.py): the real SINOE context builds for each, the territory's own inputs
are missing and everything that reads them waits, saying what to provide; nothing fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.ledger import META
from territoria.pipelines import run_pipeline
from territoria.reference.referential import referential
from territoria.workspace import init_workspace

from ..test_any_epci import RENNES_MARKERS, _three_epcis

OWN_INPUTS = {
    "dechets-rapport-annuel": "rapport annuel",
    "consommation-espaces-naf": "artificialisation.developpement-durable.gouv.fr",
    "eau-potable-resultats": "hubeau.eaufrance.fr",
    "prelevements-eau": "hubeau.eaufrance.fr",
    "restrictions-secheresse": "vigieau",
    "stations-hydrometrie": "hubeau.eaufrance.fr",
    "debits-cours-eau": "hubeau.eaufrance.fr",
}
WAITING = [
    "dechets_par_habitant", "dechets_trajectoire", "dechets_valorisation", "consommation_espaces", "zan_trajectoire",
    "part_surface_consommee", "consommation_par_nouvel_habitant", "eau_potable_conformite",
    "eau_potable_conformite_reseau", "prelevements_eau", "jours_restriction_secheresse", "jours_etiage",
]  # fmt: skip


@pytest.mark.parametrize("siren", _three_epcis())
def test_resources_on_another_epci(siren: str, tmp_path: Path) -> None:
    root = tmp_path / siren
    ws = init_workspace(root, epci=siren, packs=["resources"])
    for path in (root / "sources").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert not any(m in text for m in RENNES_MARKERS), f"{path.name} carries Rennes"
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        counts = dict(engine.fetch_all(f"SELECT name, rows FROM {META}.datasets"))
    steps = {r.step: r for r in summary.records}
    assert summary.status == "success"
    assert not [s for s, r in steps.items() if r.status in ("failed", "blocked")]
    # real data for every territory: the département context
    assert steps["indicator:decheteries_departement"].status == "success"
    deps = {referential().communes[c].departement for c in ws.config.communes}
    assert counts["decheteries_departement"] > 0
    for source in OWN_INPUTS:
        assert steps[f"ingest:{source}"].status == "waiting", source
    for indicator in WAITING:
        rec = steps[f"indicator:{indicator}"]
        assert rec.status == "waiting" and rec.error, indicator
        assert indicator not in counts or counts[indicator] == 0

    result = CliRunner().invoke(app, ["sources", "status", "--json", "--workspace", str(root)])
    assert result.exit_code == 0, result.output
    states = {s["dataset"]: s for s in json.loads(result.output)["sources"]}
    assert states["sinoe-decheteries"]["state"] == "present"
    for source, where in OWN_INPUTS.items():
        assert states[source]["state"] == "missing"
        assert where in states[source]["todo"].lower(), states[source]["todo"]
    assert ws.config.communes[0] in states["eau-potable-resultats"]["todo"]
    assert deps  # the draw has communes with a département
