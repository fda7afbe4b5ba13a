"""The social and health pack on territories other than Rennes Métropole: the real Filosofi rows
of their communes are written at init and published, and what needs inputs the territory has not
supplied yet (sensors, older people by IRIS, cool places) waits, saying why — never fails, never
publishes an empty table."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.ledger import META
from territoria.pipelines import run_pipeline
from territoria.reference.referential import referential
from territoria.workspace import init_workspace

RENNES = "243500139"
MY_STEPS = (
    "filosofi", "revenu", "pauvrete", "deciles", "interdecile", "structure", "vulnerabilite", "lieux", "logements",
    "precarite", "energie_logement", "effort_energetique", "dpe", "air", "atmo",
)  # fmt: skip


def _an_epci() -> list[str]:
    # one at random (fixed seed; tests/packs/test_any_epci.py runs three with the other packs)
    pool = sorted(s for s, e in referential().epcis.items() if s != RENNES and len(e.membres) <= 12)
    return random.Random(15).sample(pool, 1)


@pytest.mark.parametrize("siren", _an_epci())
def test_the_pack_runs_or_waits_on_another_epci(siren: str, tmp_path: Path) -> None:
    root = tmp_path / siren
    ws = init_workspace(root, epci=siren, packs=["social_health"])
    assert list(ws.config.packs) == ["territory", "energy_ghg", "climate_adaptation", "social_health"]
    written = (root / "data" / "filosofi-2021-communes.csv").read_text(encoding="utf-8").splitlines()
    assert written[0].startswith("CODGEO;NBMENFISC21;")
    # whole lines of the territory's départements
    deps = {c[:3] if c.startswith("97") else c[:2] for c in ws.config.communes}
    assert {line[:3] if line.startswith("97") else line[:2] for line in written[1:]} == deps
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
        counts = dict(engine.fetch_all(f"SELECT name, rows FROM {META}.datasets"))
    assert summary.status == "success"
    records = {r.step: r for r in summary.records if any(k in r.step for k in MY_STEPS)}
    assert not [s for s, r in records.items() if r.status in ("failed", "blocked")]
    for step, rec in records.items():
        kind, _, name = step.partition(":")
        if rec.status == "waiting":
            assert rec.error, f"{step} waits without saying why"
        elif kind in ("indicator", "publish"):
            assert counts[name if kind == "indicator" else f"published.{name}"] > 0, f"{step} published nothing"
    # the real income data is there for any commune INSEE covers
    if len(written) > 1:
        assert records["indicator:revenu_median"].status == "success"
        assert records["publish:filosofi_cellules"].status == "success"
    # the index waits for what only the territory can supply
    assert records["indicator:vulnerabilite_chaleur"].status == "waiting"
    assert records["ingest:lieux-frais"].status == "waiting"
    assert "data/lieux-frais.csv" in (records["ingest:lieux-frais"].error or "")
    # fuel poverty waits for the energy files, the housing file and the territory's prices
    assert records["indicator:energie_logement_par_menage"].status == "waiting"
    assert "prix_electricite_eur_mwh" in (records["indicator:effort_energetique_d1"].error or "")
    assert "social_health" in ws.parameters_to_fill()
    # air quality waits for the AASQA's files
    assert records["indicator:air_exposition_communes"].status == "waiting"
    assert records["indicator:jours_qualite_air_degradee"].status == "waiting"

    result = CliRunner().invoke(app, ["sources", "status", "--json", "--workspace", str(root)])
    assert result.exit_code == 0, result.output
    states = {s["dataset"]: s["state"] for s in json.loads(result.output)["sources"]}
    assert states["filosofi-communes"] == "present"
    for missing in ("population-iris", "lieux-frais", "logements-communes", "qualite-air-mesures", "indice-atmo"):
        assert states[missing] == "missing", missing
