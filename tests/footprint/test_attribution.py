"""Footprint propagated through lineage: upstream shares, last refresh, per month."""

from __future__ import annotations

import pytest

from territoria.footprint.attribution import Graph, shares
from territoria.footprint.report import FootprintReport
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def test_shares_split_a_shared_input_among_its_readers() -> None:
    # src -> a ; a read by b and c ; d reads b and c (diamond)
    g = Graph(
        step_inputs={"ingest:src": [], "m:a": ["src"], "m:b": ["a"], "m:c": ["a"], "m:d": ["b", "c"]},
        producers={"src": "ingest:src", "a": "m:a", "b": "m:b", "c": "m:c", "d": "m:d"},
        sources={"ingest:src": "src"},
        packs={},
    )
    assert shares(g, "b") == {"m:b": 1.0, "m:a": 0.5, "ingest:src": 0.5}
    # d gets both halves back: the whole upstream chain is paid once
    assert shares(g, "d") == {"m:d": 1.0, "m:b": 1.0, "m:c": 1.0, "m:a": 1.0, "ingest:src": 1.0}


def test_indicator_knows_its_refresh_and_monthly_cost(small_ws: Workspace) -> None:
    with small_ws.engine() as engine:
        first = run_pipeline(small_ws, engine)
        run_pipeline(small_ws, engine)
        report = FootprintReport(small_ws, engine)
    cost = report.dataset("densite_population")
    assert cost is not None and cost.step == "indicator:densite_population"
    assert cost.last_refresh_run == first.run_id
    steps = {c.step: c for c in cost.contributions}
    assert steps["indicator:densite_population"].weight == 1.0
    assert "ingest:contours-communes" in steps and "ingest:population-communes" in steps
    assert 0 < steps["ingest:population-communes"].weight < 1  # shared with the other readers of the source
    assert cost.refresh_wh.value == pytest.approx(sum(c.energy_wh.value for c in cost.contributions))
    assert cost.refresh_wh.value > cost.own_wh.value > 0
    # every source of the pack is declared annual: about 1/12 refresh a month
    assert all(c.refreshes_per_month == pytest.approx(30.44 / 365) for c in cost.contributions)
    expected = (
        sum(c.energy_wh.value * c.refreshes_per_month for c in cost.contributions) + cost.storage_wh_per_month.value
    )
    assert cost.monthly_wh.value == pytest.approx(expected)
    assert cost.storage_wh_per_month.value > 0
    assert cost.monthly_wh.low <= cost.monthly_wh.value <= cost.monthly_wh.high
    assert cost.avoided_30d_wh.value > 0  # the second run skipped everything
    published = report.dataset("published.densite_population")
    assert published is not None and published.refresh_wh.value > cost.refresh_wh.value


def test_monthly_cost_follows_declared_frequency(small_ws: Workspace) -> None:
    path = small_ws.sources_dir / "population-communes.yaml"
    path.write_text(path.read_text().replace("frequency: annual", "frequency: monthly"))
    with small_ws.engine() as engine:
        run_pipeline(small_ws, engine)
        cost = FootprintReport(small_ws, engine).dataset("densite_population")
    assert cost is not None
    steps = {c.step: c for c in cost.contributions}
    assert steps["ingest:population-communes"].refreshes_per_month == pytest.approx(30.44 / 30)
    assert steps["indicator:densite_population"].refreshes_per_month == pytest.approx(30.44 / 30)
    assert steps["ingest:contours-communes"].refreshes_per_month == pytest.approx(30.44 / 365)
