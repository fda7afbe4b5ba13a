"""The heat-island page on a small known sensor network: the story, the map, the rankings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import Server, screenshot, serving

from territoria.pipelines import run_pipeline

pytestmark = pytest.mark.slow

# Three sensors of the registry the sensor tests use: Rennes centre, Bruz and the rural reference.
A, B, REF = "a840410000000001", "a840410000000002", "a840410000000003"


@pytest.fixture(scope="module")
def heat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from sensors.conftest import NETWORK_A, NETWORK_B, network_workspace

    root = tmp_path_factory.mktemp("heat")
    # Rennes centre 25 °C, Bruz 22 °C, the rural reference 19 °C, every hour of five days
    city = {NETWORK_A: 25.0, NETWORK_B: 22.0}
    ws = network_workspace(root, lambda eui, h: city.get(eui, 19.0), object_for=frozenset())
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert not summary.failed, [(r.step, r.error) for r in summary.failed]
    with serving(ws, root / "serve.log") as srv:
        yield srv


def test_heat_page_tells_the_story(page: Any, heat_server: Server) -> None:
    page.goto(f"{heat_server.url}/")
    page.locator("#nav-chaleur").wait_for(state="visible")  # shown because the indicator is published
    page.click("#nav-chaleur a")
    page.wait_for_selector("#map[data-ready]", timeout=20000)
    values = heat_server.get("/api/indicators/icu_intensite_capteur/values", mesh="capteur")["values"]
    hottest = max(values, key=lambda r: r["value"])
    assert hottest["value"] == pytest.approx(6.0, abs=0.01)  # 25 °C against 19 °C every night
    story = page.inner_text("[data-testid=recit-chaleur]").replace("\u202f", " ").replace("\u00a0", " ")
    assert "6 °C plus chaud que la référence rurale" in story and hottest["code"] in story
    # Points ranked from the hottest; the communes too.
    points = page.locator("tr[data-point]").evaluate_all("rows => rows.map(r => r.dataset.point)")
    assert points == [r["code"] for r in sorted(values, key=lambda r: -r["value"])]
    communes = page.locator("section[aria-labelledby=titre-classement-communes] tbody tr").all_inner_texts()
    assert communes[0].split("\t")[1] == "Rennes"
    # Every measurement point with a position is on the map, the reference drawn apart.
    drawn = page.evaluate(
        "() => window.territoriaMap.getSource('points').serialize().data.features"
        ".map(f => [f.properties.id, f.properties.reference])"
    )
    rows = heat_server.get("/api/datasets/capteurs_temperature/rows")["rows"]
    assert sorted(drawn) == sorted([r["thing"], r["reference"] is True] for r in rows)
    assert any(reference for _, reference in drawn)
    assert "Référence rurale" in page.inner_text("aside")
    screenshot(page, "dashboard-heat.png")
    assert page.errors == [] and page.outside == []
