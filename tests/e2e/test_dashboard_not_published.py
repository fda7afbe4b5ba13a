"""Mayotte's income figures on the dashboard: INSEE does not publish Filosofi for Mayotte, so the
indicators made from it say so ("non publié pour ce territoire") instead of "waiting for data"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import Server, serving

from territoria.pipelines import run_pipeline
from territoria.workspace import init_workspace

SAID = "INSEE ne publie pas Filosofi 2021 pour Mayotte"


@pytest.fixture(scope="module")
def mayotte(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mayotte")
    ws = init_workspace(root / "ws", communes=["97611", "97608"], packs=["social_health"])
    with ws.engine() as engine:
        assert not run_pipeline(ws, engine).failed
    with serving(ws, root / "serve.log") as srv:
        yield srv


def test_the_indicators_page_says_insee_does_not_publish_them(page: Any, mayotte: Server) -> None:
    page.goto(f"{mayotte.url}/#/indicateurs")
    section = page.wait_for_selector("[data-testid=non-publie]")
    text = section.inner_text()
    assert SAID in text and "Revenu disponible médian" in text, text
    page.goto(f"{mayotte.url}/#/catalogue")
    page.wait_for_selector("main table")
    row = page.locator("tr", has_text="Revenu disponible médian").first.inner_text()
    assert "Non publié pour ce territoire" in row and "En attente" not in row, row
    assert page.errors == []


def test_a_covered_territory_shows_no_such_section(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/#/indicateurs")
    page.wait_for_selector("main .loading", state="detached")
    page.wait_for_selector("main h1")
    assert page.locator("[data-testid=non-publie]").count() == 0
