"""The "Lignes écartées" view: from a dataset's page to the rows its validation set aside, each
with its line number, the values as received and the reason in French, at 1440 and 390 px."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import QUARANTINED, RESTRICTED, Server, screenshot

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("width", [1440, 390])
def test_quarantined_rows_from_the_dataset_page(page: Any, server: Server, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/#/catalogue/{QUARANTINED}")
    page.click("text=Voir les lignes écartées")
    page.wait_for_selector("table.quarantine tbody tr")
    assert page.inner_text("main h1") == "Lignes écartées — Comptages vélo"
    rows = page.locator("table.quarantine tbody tr")
    assert rows.count() == 3
    cells = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(3)]
    assert [c[0] for c in cells] == ["3", "4", "5"]  # line numbers in the file (line 1 is the header)
    assert "beaucoup" in cells[0][1] and "passages" in cells[0][1]
    assert cells[0][2] == "passages : valeur illisible comme nombre entier"
    assert cells[1][2] == "compteur : ne respecte pas le format attendu"
    # two reasons on one line, both said
    assert "passages : valeur inférieure au minimum (0)" in cells[2][2]
    assert "jour : valeur illisible comme date" in cells[2][2]
    assert "3 lignes écartées" in page.inner_text("table.quarantine caption")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"dashboard-{width}-lignes-ecartees.png")
    assert page.errors == [] and page.outside == []


def test_closed_dataset_rows_are_not_shown_anonymously(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/#/catalogue/{RESTRICTED}/ecartees")
    page.wait_for_selector("main .error")
    assert "accès refusé" in page.inner_text("main .error")
    assert page.locator("table.quarantine").count() == 0
