"""Run the resources pack's SQL on tables held in memory, without a workspace: what the property
tests need to try hundreds of inputs in seconds. The SQL is rendered exactly as the pipeline does
(``render_sql``), with the pack's own parameters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pyarrow as pa

from territoria.catalog.packs import load_pack
from territoria.engines.base import Engine, TableWrite
from territoria.engines.duckdb import open_duckdb
from territoria.pipelines.spec import DatasetInfo, render_sql

TERRITORY = {
    "territory.name": "Territoire d'essai",
    "territory.epci": "200000001",
    "territory.mesh": "epci",
    "territory.code": "200000001",
    "territory.communes": [],
}


@contextmanager
def pack_engine() -> Iterator[tuple[Engine, dict[str, DatasetInfo]]]:
    """An in-memory engine and the datasets it holds (filled by ``load`` and ``run_step``)."""
    engine = open_duckdb(None)
    try:
        yield engine, {}
    finally:
        engine.close()


def load(engine: Engine, datasets: dict[str, DatasetInfo], inputs: dict[str, tuple[str, pa.Table]]) -> None:
    """(Re)create the input datasets: name -> (layer, rows)."""
    for name, (layer, table) in inputs.items():
        info = DatasetInfo(name, layer, name)
        engine.ensure_schema(info.schema)
        engine.register_arrow("_input", table)
        engine.execute(f"CREATE OR REPLACE TABLE {info.qualified} AS SELECT * FROM _input")
        datasets[name] = info


@cache
def _pack() -> Any:
    return load_pack("resources")


def run_step(
    engine: Engine, datasets: dict[str, DatasetInfo], layer: str, name: str, overrides: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Build one model or indicator of the pack and return its rows."""
    pack = _pack()
    params = {**TERRITORY, **pack.definition.parameters, **(overrides or {})}
    folder = "models" if layer == "model" else "indicators"
    sql = render_sql(pack.read_sql(f"{folder}/{name}.sql"), datasets, params, name)
    info = DatasetInfo(name, layer, name)
    engine.ensure_schema(info.schema)
    engine.create_or_replace(TableWrite(info.schema, name, sql))
    datasets[name] = info
    result: list[dict[str, Any]] = engine.fetch_arrow(f"SELECT * FROM {info.qualified}").to_pylist()
    return result
