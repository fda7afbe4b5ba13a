"""After a real run, every step record and the run record carry their footprint with the method."""

from __future__ import annotations

import json

import pytest

from territoria.ledger import META
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def step_footprints(ws: Workspace, run_id: str) -> dict[str, dict]:  # type: ignore[type-arg]
    with ws.engine() as engine:
        rows = engine.fetch_all(f"SELECT step, status, footprint FROM {META}.step_runs WHERE run_id = ?", [run_id])
    return {r[0]: {"status": r[1], **json.loads(r[2])} for r in rows}


def test_every_step_and_run_carries_its_footprint(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        first = run_pipeline(small_ws, engine)
        second = run_pipeline(small_ws, engine)
        run_rows = dict(engine.fetch_all(f"SELECT run_id, footprint FROM {META}.runs"))
    assert first.status == second.status == "success"
    steps = step_footprints(small_ws, first.run_id)
    assert len(steps) == len(first.records) > 5
    for step, fp in steps.items():
        assert fp["method"] == "estimated", step  # no RAPL on this machine: the method says so
        assert fp["energy_wh"]["low"] <= fp["energy_wh"]["value"] <= fp["energy_wh"]["high"]
        assert fp["energy_wh"]["value"] > 0 and fp["co2e_g"]["value"] > 0
        assert fp["intensity"]["source"].startswith("FR")
        assert fp["cpu_s"] >= 0 and fp["peak_rss_bytes"] > 0 and "io" in fp
    pop = steps["ingest:population-communes"]
    assert pop["fetched_bytes"] > 0 and pop["net_bytes"] == 0  # a local file moves nothing over the network
    assert pop["landing_bytes_added"] == pop["fetched_bytes"]
    run_fp = json.loads(run_rows[first.run_id])
    assert run_fp["method"] == "estimated" and run_fp["energy_wh"]["value"] > 0
    assert run_fp["steps_energy_wh"]["value"] <= run_fp["energy_wh"]["high"]
    assert run_fp["store_bytes_delta"] > 0 and run_fp["landing_bytes_added"] >= pop["landing_bytes_added"] > 0
    assert any(fp["store_bytes_delta"] > 0 for fp in steps.values())
    assert first.footprint == run_fp


def test_skips_record_what_sobriety_saved(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        first = run_pipeline(small_ws, engine)
        second = run_pipeline(small_ws, engine)
    steps = step_footprints(small_ws, second.run_id)
    firsts = step_footprints(small_ws, first.run_id)
    assert all(s["status"] == "skipped" for s in steps.values())
    for step, fp in steps.items():
        avoided = fp["avoided"]
        assert avoided["from_run"] == first.run_id
        assert avoided["energy_wh"] == firsts[step]["energy_wh"]
        assert avoided["net_saved_wh"] >= 0
    # the unchanged download avoided its bytes too
    assert steps["ingest:population-communes"]["fetched_bytes"] == 0
    assert second.footprint["avoided"]["energy_wh"]["value"] == pytest.approx(
        sum(f["energy_wh"]["value"] for f in firsts.values()), rel=1e-6
    )


def test_meter_switch_off(small_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITORIA_FOOTPRINT_METER", "off")
    with small_ws.engine() as engine:
        summary = run_pipeline(small_ws, engine)
    assert summary.footprint == {"method": "disabled"}
    assert {fp["method"] for fp in step_footprints(small_ws, summary.run_id).values()} == {"disabled"}
