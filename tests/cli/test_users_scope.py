"""``users add --scope`` names datasets of the catalog: a typo would grant nothing today, and the
dataset created later under that name without anyone deciding it."""

from __future__ import annotations

from pathlib import Path

from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import init_workspace

from .conftest import Territoria


def test_an_unknown_dataset_in_a_scope_is_refused_with_the_close_names(tmp_path: Path, territoria: Territoria) -> None:
    ws = init_workspace(tmp_path / "ws", epci="243500139")
    out = territoria(
        "users", "add", "Jeanne", "--role", "agent", "--scope", "population-communes,densite", "-w", str(ws.root)
    )
    assert "--scope densite: no dataset 'densite' in this workspace" in out.text, out.text
    assert "did you mean densite_population" in out.text and "Traceback" not in out.text
    assert out.code == 2
    assert AccessStore(ws.private / ACCESS_DB).list() == []  # nothing half-created


def test_a_scope_of_declared_and_published_datasets_is_accepted(tmp_path: Path, territoria: Territoria) -> None:
    ws = init_workspace(tmp_path / "ws", epci="243500139")
    declared = territoria(
        "users", "add", "Jeanne", "--role", "agent", "--scope", "population-communes", "-w", str(ws.root)
    )
    assert declared.code == 0, declared.text
    assert territoria("run", "-w", str(ws.root)).code == 0
    published = territoria(
        "users", "add", "Paul", "--role", "agent", "--scope", "densite_population,communes", "-w", str(ws.root)
    )
    assert published.code == 0, published.text
    scopes = {r["name"]: r["scope"] for r in AccessStore(ws.private / ACCESS_DB).list()}
    assert scopes == {"Jeanne": "population-communes", "Paul": "communes,densite_population"}
