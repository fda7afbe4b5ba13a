"""One small workspace (three communes of Rennes Métropole) with the resources pack and its demo
inputs, run once for the package's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pytest

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.workspace import Workspace, init_workspace

COMMUNES = ["35238", "35047", "35206"]


@dataclass
class ResourcesRun:
    ws: Workspace
    summary: RunSummary

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.ws.store_dir / "store.duckdb"), read_only=True) as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="package")
def resources_run(tmp_path_factory: pytest.TempPathFactory) -> ResourcesRun:
    ws = init_workspace(
        tmp_path_factory.mktemp("resources") / "ws", communes=COMMUNES, name="Trois communes", packs=["resources"]
    )
    load_pack("resources").run_hook("prepare_demo", ws)
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
    return ResourcesRun(ws, summary)
