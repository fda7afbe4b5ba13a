"""The stations' annual means do not depend on the order DuckDB adds the measures in.

Summed as doubles, a duration-weighted mean's last bits follow the order of addition, which
changes with the thread count and the rows' physical order: the model's content fingerprint
then changed on a refresh whose inputs had not (one population changed, so `communes` and this
model re-ran), and `air_concentration_stations` re-ran for nothing. One thread over the same
measures in two physical orders makes the two orders of addition differ for certain.
"""

from __future__ import annotations

from pathlib import Path

from territoria.catalog.packs import load_pack
from territoria.pipelines import build_plan, run_pipeline
from territoria.usecases.social_health.synthetic_air import write_station_measures
from territoria.workspace import init_workspace


def test_annual_means_do_not_depend_on_the_measures_order(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238", "35022"], packs=["social_health"])
    write_station_measures(ws.root / "data", ["35238", "35022"])  # a year of daily means at 3 stations
    ws.use_demo_entries(load_pack("social_health"))  # synthetic: read from the demo's file, labelled so
    with ws.engine() as engine:
        sources = ["communes-referentiel", "population-communes", "qualite-air-mesures"]
        summary = run_pipeline(ws, engine, only=sources, hooks=[])
        statuses = {r.step: r.status for r in summary.records}
        assert statuses["ingest:qualite-air-mesures"] == statuses["model:communes"] == "success", summary.failed
        plan = build_plan(ws)
        model = plan.steps["model:qualite_air_annuelle"].render(plan.datasets)  # type: ignore[attr-defined]
        measures = plan.datasets["qualite-air-mesures"].qualified
        assert measures in model
        engine.execute("SET threads = 1")
        results = []
        for order in ("ASC", "DESC"):
            engine.execute(f"CREATE OR REPLACE TEMP TABLE m_{order} AS FROM {measures} ORDER BY valeur {order}")
            sql = model.replace(measures, f"m_{order}")
            rows = engine.fetch_all(f"SELECT station, polluant, annee, valeur, capture FROM ({sql}) ORDER BY ALL")
            results.append(rows)
    assert len(results[0]) == 9  # 3 stations × 3 pollutants
    assert results[0] == results[1]
