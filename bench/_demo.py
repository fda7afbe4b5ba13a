"""Build the demo territory (Rennes Métropole, every installed pack) the way `territoria demo` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from territoria.catalog.packs import available_packs, load_pack
from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.workspace import Workspace, init_workspace

RENNES = "243500139"


def build_demo(directory: Path) -> Workspace:
    packs = sorted(available_packs())
    ws = init_workspace(directory, epci=RENNES, packs=packs, force=True)
    for name in packs:
        load_pack(name).run_hook("prepare_demo", ws)
    return ws


def run(ws: Workspace, **kwargs: Any) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine, **kwargs)


def fetched_bytes(ws: Workspace, run_id: str) -> int:
    with ws.engine() as engine:
        rows = engine.fetch_all("SELECT coalesce(sum(bytes), 0) FROM _territoria.fetches WHERE run_id = ?", [run_id])
    return int(rows[0][0])
