"""A bare workspace (no pack) with one file source, run through the real pipeline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from territoria.engines.base import Engine
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.testing.entries import catalog_entry, file_source, write_entry
from territoria.workspace import Workspace, init_workspace

from .support import Source, SourceFactory


@pytest.fixture(scope="session")
def template_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "ws"
    init_workspace(root, communes=["35238"], packs=[])
    return root


@pytest.fixture
def make_source(tmp_path: Path, template_ws: Path) -> SourceFactory:
    def make(
        file: str | Path | bytes,
        fmt: str = "csv",
        read: dict[str, Any] | None = None,
        schema: dict[str, Any] | None = None,
        name: str = "conso",
        suffix: str = ".dat",
    ) -> Source:
        root = tmp_path / "ws"
        if not root.exists():
            shutil.copytree(template_ws, root)
        ws = Workspace(root)
        data = root / "data" / f"{name}{suffix}"
        write_entry(
            ws.sources_dir, catalog_entry(name, file_source(data.name, fmt=fmt, read=read or {}), schema=schema)
        )
        source = Source(ws, name, data)
        source.put(file)
        return source

    return make


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = DuckDBEngine(None)
    yield eng
    eng.close()
