"""The dashboard in a real browser: the value shown for a clicked commune is the API's value."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from e2e_support import CONTRAST_FAILURES_JS, NO_BOUNDARY, RESTRICTED, Server, screenshot, wait_until

pytestmark = pytest.mark.slow

INDICATOR = "densite_population"
COMMUNE = "35047"  # Bruz


def french_number(text: str) -> float:
    """ "1 234,5" (with narrow no-break spaces) -> 1234.5"""
    cleaned = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return float(cleaned)


def interior_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point inside the largest ring: the middle of the widest span on the ring's middle latitude."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    ring = max((p[0] for p in polygons), key=len)
    lats = [pt[1] for pt in ring]
    lat = (min(lats) + max(lats)) / 2
    crossings = sorted(
        a[0] + (lat - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
        for a, b in itertools.pairwise(ring)
        if (a[1] <= lat < b[1]) or (b[1] <= lat < a[1])
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=True))
    left, right = max(spans, key=lambda s: s[1] - s[0])
    return (left + right) / 2, lat


def open_map(page: Any, server: Server, indicator: str) -> None:
    page.goto(f"{server.url}/")
    page.wait_for_selector("#map[data-ready]", timeout=20000)
    page.select_option("#choix-indicateur", indicator)
    page.wait_for_selector(f'#map[data-ready^="{indicator}:"]', timeout=20000)


def test_clicking_a_commune_shows_the_api_value(page: Any, server: Server) -> None:
    open_map(page, server, INDICATOR)
    geo = server.get("/api/geo/communes")
    feature = next(f for f in geo["features"] if f["properties"]["code"] == COMMUNE)
    lng, lat = interior_point(feature["geometry"])
    pixel = page.evaluate("([lng, lat]) => window.territoriaMap.project([lng, lat])", [lng, lat])
    canvas = page.locator("#map canvas")
    canvas.hover(position={"x": pixel["x"], "y": pixel["y"]})
    page.wait_for_selector(".map-tooltip:not([hidden])")
    assert "Bruz" in page.inner_text(".map-tooltip")
    canvas.click(position={"x": pixel["x"], "y": pixel["y"]})
    wait_until(page, "() => document.querySelector('[data-testid=commune-name]')?.textContent === 'Bruz'")

    api_rows = server.get(f"/api/indicators/{INDICATOR}/values", mesh="commune", code=COMMUNE)["values"]
    assert len(api_rows) == 1
    expected = api_rows[0]["value"]
    shown = page.inner_text("[data-testid=commune-value]")
    assert french_number(shown) == pytest.approx(round(expected, 1)), (shown, expected)
    assert "hab/km²" in page.inner_text("[data-testid=commune-panel]")
    assert page.locator('tr[data-code="35047"].selected').count() == 1
    screenshot(page, "dashboard-map.png")
    assert page.errors == [] and page.outside == []


def test_commune_without_boundary_is_listed_with_its_value(page: Any, server: Server) -> None:
    open_map(page, server, "population")
    note = page.inner_text("[data-testid=communes-sans-contour]")
    assert "Saint-Pierre" in note and NO_BOUNDARY in note
    row = page.locator(f'tr[data-code="{NO_BOUNDARY}"]')
    assert "sans contour" in row.inner_text()
    # Keyboard only: the table is the map's text alternative.
    row.get_by_role("button").focus()
    page.keyboard.press("Enter")
    wait_until(page, "() => document.querySelector('[data-testid=commune-name]')?.textContent === 'Saint-Pierre'")
    expected = server.get("/api/indicators/population/values", mesh="commune", code=NO_BOUNDARY)["values"][0]["value"]
    assert french_number(page.inner_text("[data-testid=commune-value]")) == expected
    assert "pas de contour" in page.inner_text("[data-testid=commune-panel]")


def test_indicator_page_value_quality_and_lineage(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/#/indicateur/{INDICATOR}")
    page.wait_for_selector("[data-testid=indicator-value]")
    territory = server.get(f"/api/indicators/{INDICATOR}/values", mesh="territoire")["values"]
    expected = territory[0]["value"] if territory else None
    if expected is not None:
        assert french_number(page.inner_text("[data-testid=indicator-value]")) == pytest.approx(expected)
    text = page.inner_text("main")
    assert "Qualité des données" in text and "D’où vient ce chiffre" in text
    # next to the figure: real or synthetic, and each source's producer, vintage, licence and update
    provenance = page.inner_text("[data-testid=provenance]")
    assert "Données réelles" in provenance and "INSEE" in provenance and "Licence Ouverte" in provenance
    assert "mis à jour le" in provenance
    # The lineage goes down to the original sources.
    assert "source d’origine" in text and "Fichier reçu" in text
    screenshot(page, "dashboard-indicator.png")
    assert page.errors == []


def test_catalog_and_runs_pages(page: Any, server: Server) -> None:
    datasets = server.get("/api/catalog")["datasets"]
    page.goto(f"{server.url}/#/catalogue")
    page.wait_for_selector("main table")
    titles = page.locator("main tbody tr").all_inner_texts()
    assert len(titles) == len(datasets)
    page.fill("#recherche-catalogue", "contours")
    found = sum("contours" in f"{d['id']} {d['title']} {d['description']}".lower() for d in datasets)
    assert page.locator("main tbody tr").count() == found > 0
    page.fill("#recherche-catalogue", "")
    page.select_option("#filtre-type", "indicator")
    assert page.locator("main tbody tr").count() == sum(d["kind"] == "indicator" for d in datasets)
    page.select_option("#filtre-acces", "restricted")
    expected = sum(d["kind"] == "indicator" and d["access"] == "restricted" for d in datasets)
    assert page.locator("main tbody tr").count() == expected
    page.select_option("#filtre-type", "")
    assert page.locator("main tbody tr").count() == sum(d["access"] == "restricted" for d in datasets) > 0
    # Public texts in French; the data team's English notes folded away.
    assert "`" not in page.inner_text("main tbody")
    page.goto(f"{server.url}/#/catalogue/population-communes")
    page.wait_for_selector("text=Schéma des données")
    assert "PMUN" in page.inner_text("main") and "Dernières exécutions" in page.inner_text("main")
    assert page.inner_text("main .lead") == "Population municipale légale de chaque commune (INSEE)."
    assert not page.locator("details.notes").evaluate("d => d.open")
    assert "Notes techniques" in page.inner_text("details.notes summary")
    runs = server.get("/api/runs")["runs"]
    page.goto(f"{server.url}/#/executions")
    page.wait_for_selector("main table")
    assert page.locator("main tbody tr").count() == len(runs)
    assert page.errors == []


def test_signing_in_opens_restricted_data(page: Any, server: Server, elu_token: str) -> None:
    page.goto(f"{server.url}/#/catalogue/{RESTRICTED}")
    page.wait_for_selector("text=Lignes en quarantaine")
    assert "vous n’avez pas accès à ces données" in page.inner_text("main")
    page.click("#connexion")
    page.fill("#jeton", "tt_nope_nope")
    page.click("#dialogue-connexion button[type=submit]")
    page.wait_for_selector("#dialogue-connexion .error")
    assert "Jeton refusé" in page.inner_text("#dialogue-connexion")
    page.fill("#jeton", elu_token)
    page.click("#dialogue-connexion button[type=submit]")
    page.wait_for_selector("text=vous pouvez lire ces données")
    assert page.inner_text("#connexion") == "Se déconnecter"
    with page.expect_download() as info:
        page.click(".downloads [data-format=csv]")
    assert "1200" in Path(info.value.path()).read_text(encoding="utf-8-sig")
    page.click("#connexion")
    page.wait_for_selector("text=vous n’avez pas accès à ces données")
    assert page.errors == []


@pytest.mark.parametrize("route", ["#/carte?commune=35047", "#/indicateur/population", "#/catalogue", "#/executions"])
def test_text_contrast(page: Any, server: Server, route: str) -> None:
    page.goto(f"{server.url}/{route}")
    page.wait_for_selector("main h1")
    page.wait_for_selector("main .loading", state="detached")
    assert page.evaluate(CONTRAST_FAILURES_JS) == []


def test_keyboard_reaches_the_map_and_its_table(page: Any, server: Server) -> None:
    open_map(page, server, "population")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    # Then, in order: the indicator, the year, the view (total or per km²), the map (arrows pan it,
    # +/- zoom), its zoom buttons.
    focused = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert focused[:5] == [
        "choix-indicateur",
        "choix-annee",
        "choix-rapport",
        "maplibregl-canvas",
        "maplibregl-ctrl-zoom-in",
    ]
    zoom = page.evaluate("window.territoriaMap.getZoom()")
    page.focus("#map canvas")
    page.keyboard.press("Equal")
    wait_until(page, f"() => window.territoriaMap.getZoom() > {zoom}")
    page.select_option("#tri-tableau", "valeur")
    first = page.locator("main tbody tr").first.get_attribute("data-code")
    values = server.get("/api/indicators/population/values", mesh="commune")["values"]
    assert first == max(values, key=lambda r: r["value"] or 0)["code"]


def test_footprint_page_only_when_the_server_measures_it(page: Any, server: Server) -> None:
    answer = server.client.get("/api/footprint")
    page.goto(f"{server.url}/#/indicateurs")
    page.wait_for_selector("main h1")
    link = page.locator("#nav-empreinte")
    if answer.status_code == 404:  # the footprint package is not installed with this API
        page.wait_for_load_state("networkidle")
        assert link.is_hidden()
        return
    assert answer.status_code == 200, answer.text
    link.wait_for(state="visible")
    link.locator("a").click()
    page.wait_for_selector("text=Empreinte de la plateforme")
    page.wait_for_selector("main .loading", state="detached")
    text = page.inner_text("main")
    runs = answer.json()["data"]["runs"]
    assert "Dernière mise à jour" in text and ("Wh" in text if runs else True)
    screenshot(page, "dashboard-footprint.png")
    assert page.errors == []
