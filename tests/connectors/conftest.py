"""Servers and helpers for the connector tests: contract servers, a file server, workspaces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from territoria.pipelines import run_pipeline
from territoria.pipelines.runner import RunSummary
from territoria.testing.entries import catalog_entry, write_entry
from territoria.testing.postgres import PostgresServer, postgres_server
from territoria.workspace import Workspace

from .contract.base import Server
from .contract.files import FileServer
from .contract.hubeau import HubeauHandler, water_rows
from .contract.ods import OdsHandler, conso_rows, make_dataset
from .contract.pygeoapi_server import pygeoapi
from .contract.udata import UdataHandler

FAST = {"retries": 2, "backoff": 0.05, "timeout": 10}


def add_source(ws: Workspace, ident: str, source: dict[str, Any], schema: dict[str, Any] | None = None) -> None:
    write_entry(ws.sources_dir, catalog_entry(ident, source, schema=schema or None))


def run_one(ws: Workspace, ident: str) -> RunSummary:
    with ws.engine() as engine:
        return run_pipeline(ws, engine, only=[ident])


def step(summary: RunSummary, ident: str) -> Any:
    return next(r for r in summary.records if r.step == f"ingest:{ident}")


def query(ws: Workspace, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Read the store; a plain read-only connection unless the query needs the spatial extension.

    Loading the spatial extension costs most of an engine's opening: the tests read records
    without it.
    """
    if "ST_" in sql:
        with ws.engine() as engine:
            return engine.fetch_all(sql, params)
    with duckdb.connect(str(ws.store_dir / "store.duckdb"), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def fetches(ws: Workspace, ident: str) -> list[dict[str, Any]]:
    rows = query(
        ws,
        "SELECT url, status, changed, bytes, sha256, request, headers FROM _territoria.fetches "
        "WHERE dataset = ? ORDER BY fetched_at, rowid",
        [ident],
    )
    keys = ("url", "status", "changed", "bytes", "sha256", "request", "headers")
    return [dict(zip(keys, r, strict=True)) | {"request": json.loads(r[5]), "headers": json.loads(r[6])} for r in rows]


def table(ws: Workspace, ident: str, sql: str = "SELECT * FROM {t} ORDER BY ALL") -> list[tuple[Any, ...]]:
    return query(ws, sql.format(t=f"staging.{json.dumps(ident)}"))


@pytest.fixture
def ods() -> Iterator[Server]:
    with Server(OdsHandler) as server:
        server.served.state["datasets"] = {
            "conso-iris": make_dataset(conso_rows(250)),
            "big": make_dataset(conso_rows(12_000)),
        }
        yield server


@pytest.fixture
def udata() -> Iterator[Server]:
    with Server(UdataHandler) as server:
        yield server


@pytest.fixture
def hubeau() -> Iterator[Server]:
    with Server(HubeauHandler) as server:
        server.served.state["endpoints"] = {"/api/v1/qualite_eau_potable/resultats_dis": water_rows(1234)}
        yield server


@pytest.fixture
def files(tmp_path: Path) -> Iterator[FileServer]:
    root = tmp_path / "served"
    root.mkdir()
    with FileServer(root) as server:
        yield server


CODES = ["35238", "35047", "35206", "35001", "35024"]


@pytest.fixture(scope="session")
def ogc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """A real pygeoapi serving five communes as OGC API Features."""
    with pygeoapi(tmp_path_factory.mktemp("pygeoapi"), CODES) as served:
        yield served


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server
