"""The map's per-inhabitant and per-area views, and the pages at a phone's width (390 px)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, screenshot, wait_until
from pyproj import Geod
from shapely.geometry import shape
from test_dashboard_browser import french_number, open_map

pytestmark = pytest.mark.slow

BRUZ = "35047"


def test_per_area_view_divides_by_the_commune_area(page: Any, server: Server) -> None:
    open_map(page, server, "population")
    assert page.input_value("#choix-rapport") == "total"  # the population itself by default
    page.select_option("#choix-rapport", "km2")
    page.wait_for_function("() => location.hash.includes('rapport=km2')")
    wait_until(page, "() => document.querySelector('#titre-tableau')?.textContent.includes('par km²')")
    page.click(f'tr[data-code="{BRUZ}"] button')
    wait_until(page, "() => document.querySelector('[data-testid=commune-name]')?.textContent === 'Bruz'")
    shown = french_number(page.inner_text("[data-testid=commune-value]"))
    assert "habitants/km²" in page.inner_text("[data-testid=commune-panel]")
    # The total stays in view next to the ratio.
    population = server.get("/api/indicators/population/values", mesh="commune", code=BRUZ)["values"][0]["value"]
    assert (
        french_number(page.inner_text("[data-testid=commune-total]").split("soit")[1].split("habitants")[0])
        == population
    )
    feature = next(f for f in server.get("/api/geo/communes")["features"] if f["properties"]["code"] == BRUZ)
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(shape(feature["geometry"]))[0]) / 1e6
    assert shown == pytest.approx(population / area_km2, rel=0.01)
    # The published density (legal population over the official area) tells the same story.
    density = server.get("/api/indicators/densite_population/values", mesh="commune", code=BRUZ)["values"][0]["value"]
    assert shown == pytest.approx(density, rel=0.05)
    # A commune without a boundary has no area: no value, and the table says why.
    assert "Surface inconnue" in page.inner_text('tr[data-code="97502"]')
    assert page.errors == []


@pytest.mark.parametrize(
    "route", ["#/carte", "#/indicateur/population", "#/catalogue", "#/executions", "#/indicateurs"]
)
def test_pages_fit_a_phone(page: Any, server: Server, route: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/{route}")
    page.wait_for_selector("main h1")
    page.wait_for_selector("main .loading", state="detached")
    if route == "#/carte":
        page.wait_for_selector("#map[data-ready]", timeout=20000)
        box = page.locator("#map").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # The map is fitted: every commune's bounds are inside the canvas.
        inside = page.evaluate(
            """() => { const m = window.territoriaMap; const c = m.getContainer().getBoundingClientRect();
                 const feats = m.querySourceFeatures('communes');
                 return feats.length > 0 && feats.every(f => { const b = f.geometry.coordinates.flat(Infinity);
                   for (let i = 0; i < b.length; i += 2) { const p = m.project([b[i], b[i + 1]]);
                     if (p.x < -2 || p.y < -2 || p.x > c.width + 2 || p.y > c.height + 2) return false; }
                   return true; }); }"""
        )
        assert inside
    # Nothing wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"dashboard-390-{route.strip('#/').replace('/', '-')}.png")
    assert page.errors == []


def test_indicator_page_offers_downloads_in_every_format(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/#/indicateur/densite_population")
    page.wait_for_selector(".downloads [data-format=csv]")
    formats = page.locator(".downloads [data-format]").evaluate_all("els => els.map(e => e.dataset.format)")
    assert formats == ["csv", "xlsx", "geojson", "csv-std", "parquet"]
    with page.expect_download() as info:
        page.click(".downloads [data-format=csv]")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].count(";") >= 2  # the French spreadsheet CSV
    rows = server.get("/api/indicators/densite_population/values", mesh="commune", code=BRUZ)["values"]
    assert f"{rows[0]['value']:.1f}".replace(".", ",") in text
    # Every format answers with a file.
    for fmt in formats:
        href = page.locator(f".downloads [data-format={fmt}]").get_attribute("href")
        assert href and server.client.get(href).status_code == 200, fmt
    assert page.errors == []


def test_an_indicator_without_sectors_shows_no_stray_text(page: Any, server: Server) -> None:
    """The sector breakdown, absent for an indicator without sectors, was written as the text
    "null" under the trend chart (seen on Bretagne's income page)."""
    page.goto(f"{server.url}/#/indicateur/densite_population")
    page.wait_for_selector(".downloads [data-format=csv]")
    assert "null" not in page.inner_text("body").split(), page.inner_text("body")
    assert page.errors == []


def test_commune_names_on_the_map_never_overlap(page: Any, server: Server) -> None:
    open_map(page, server, "population")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('.place-name')].map(e => {
             const b = e.getBoundingClientRect();
             const box = [b.left, b.top, b.right, b.bottom];
             return {name: e.textContent, code: e.dataset.code, hidden: e.hidden, box};
           })"""
    )
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in server.get("/api/geo/communes")["features"]}
    assert {label["code"]: label["name"] for label in labels} == names  # every commune with a boundary
    shown = [label["box"] for label in labels if not label["hidden"]]
    assert shown, "no name shown"
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    assert page.errors == [] and page.outside == []
