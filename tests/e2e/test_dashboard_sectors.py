"""The per-sector breakdown of the energy indicators: stacked bars by sector and year for the chosen
place, from the published values; cells masked by the statistical secrecy are said "secret
statistique", never drawn as zero nor worked out from the total. At 1440 and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import ARTIFACTS, Server, screenshot, serving

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace, init_workspace

pytestmark = pytest.mark.slow

BRUZ = "35047"  # a small commune: many sector cells are masked
LABELS = {
    "agriculture": "Agriculture",
    "industrie": "Industrie",
    "non_affecte": "Non affecté",
    "professionnel": "Professionnels",
    "residentiel": "Résidentiel",
    "tertiaire": "Tertiaire",
    "TOUS": "Tous secteurs",
}


@pytest.fixture(scope="module")
def energy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("sectors")
    ws = init_workspace(root / "ws", communes=["35238", BRUZ, "35206"], packs=["territory", "energy_ghg"], name="Essai")
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    assert not summary.failed, [r.error for r in summary.failed]
    with serving(Workspace(ws.root), root / "serve.log") as srv:
        yield srv


def _published(server: Server, indicator: str, energy: str) -> list[dict[str, Any]]:
    body = server.get(f"/api/indicators/{indicator}/values", mesh="commune", code=BRUZ, limit=10000)
    return [r for r in body["values"] if r["energy"] == energy]


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", "."))


@pytest.mark.parametrize("width", [1440, 390])
def test_sector_bars_follow_the_published_cells(page: Any, energy_server: Server, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{energy_server.url}/#/indicateur/energie_consommation?zone=commune:{BRUZ}&energy=gaz")
    page.wait_for_selector(".sector-breakdown svg")
    rows = _published(energy_server, "energie_consommation", "gaz")
    sectors = [r for r in rows if r["sector"] != "TOUS"]
    secret = [r for r in sectors if r["secret"]]
    assert secret and all(r["value"] is None for r in secret)  # the demo masks cells of a small commune
    drawn = [r for r in sectors if r["value"]]
    # one bar segment per published non-zero cell, none for a masked one
    titles = page.locator(".sector-breakdown rect.sector-bar title").all_text_contents()
    segments = {tuple(t.split(" : ")[0].split(", ")) for t in titles}
    assert len(titles) == len(segments) == len(drawn)
    assert segments == {(str(r["period"]), LABELS[r["sector"]]) for r in drawn}
    # a hatched "secret statistique" mark on every year that has a masked sector
    years = sorted({str(r["period"]) for r in secret})
    marks = page.locator(".sector-breakdown rect.secret-mark")
    assert sorted(marks.evaluate_all("els => els.map(e => e.dataset.period)")) == years
    assert "secret statistique" in marks.first.locator("title").text_content()
    # the data table: masked cells say so, published ones give the value, the total is the published one
    page.click("text=Voir les données par secteur")
    table = page.locator("table.sector-table")
    headers = table.locator("thead th").all_inner_texts()
    by_year = {}
    for tr in table.locator("tbody tr").all():
        cells = tr.locator("td").all_inner_texts()
        by_year[cells[0]] = dict(zip(headers[1:], cells[1:], strict=True))
    for r in rows:
        shown = by_year[str(r["period"])][LABELS[r["sector"]]]
        if r["secret"]:
            assert shown == "secret statistique"
        else:
            assert _number(shown) == pytest.approx(r["value"], abs=0.06)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"dashboard-{width}-secteurs.png")
    page.locator(".sector-breakdown").screenshot(path=str(ARTIFACTS / f"dashboard-{width}-secteurs-graphique.png"))
    assert page.errors == [] and page.outside == []


def test_no_sector_chart_without_a_sector_breakdown(page: Any, energy_server: Server) -> None:
    page.goto(f"{energy_server.url}/#/indicateur/energie_par_habitant")
    page.wait_for_selector("#titre-evolution")
    assert page.locator(".sector-breakdown").count() == 0
