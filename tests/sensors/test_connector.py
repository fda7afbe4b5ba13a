"""The ``sensors`` connector: a registry or store file this process cannot read is a clear
source error, not an internal one. Root (the tests' user here) may read every file: the kernel's
refusal is raised where the file is read, as it would be for a file the process may not read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from territoria.connectors.sensors import connector as sensors_connector
from territoria.connectors.sensors.connector import SensorsConnector, SensorsOptions
from territoria.connectors.spec import FetchContext
from territoria.core.errors import ConfigError, SourceError
from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import REGISTRY, Registry
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace

from .conftest import message, uplink


def _fetch(ws: Workspace, table: str) -> None:
    ctx = FetchContext("capteurs", ws.root, ws.landing, ws.config, None, ws.tmp_dir)
    SensorsConnector().fetch(SensorsOptions(table=table), ctx)  # type: ignore[arg-type]


def test_the_store_is_landed(sensor_ws: Workspace, registry: Registry, store: SensorStore) -> None:
    eui = next(iter(registry.by_eui))
    with store.writer() as writer:
        Ingestor(registry, writer, live=False).ingest(
            [message(uplink(eui, 1, datetime(2025, 7, 1, tzinfo=UTC).isoformat()))]
        )
    _fetch(sensor_ws, "hourly")  # the real path works: the failures below are the injected ones


def test_an_unreadable_registry_is_a_clear_error(sensor_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry is a workspace YAML: its refusal is the configuration error every workspace
    YAML gives (``core/yamlio.py``), naming the file, with a hint, not a traceback."""
    devices, read_text = sensor_ws.root / REGISTRY, Path.read_text

    def refused(path: Path, *args: object, **kwargs: object) -> str:
        if path == devices:
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refused)
    with pytest.raises(ConfigError, match=r"devices\.yaml cannot be read: Permission denied") as caught:
        _fetch(sensor_ws, "datastreams")
    assert caught.value.hint and "permissions" in caught.value.hint


def test_an_unreadable_store_file_is_a_clear_source_error(
    sensor_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(con: duckdb.DuckDBPyConnection, store: SensorStore, name: str = "_hourly") -> str:
        path = store.hourly_dir / "month=2025-07.parquet"
        raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')

    monkeypatch.setattr(sensors_connector, "hourly_relation", refused)
    with pytest.raises(SourceError, match=r"cannot be read: IO Error: Cannot open file .*Permission denied"):
        _fetch(sensor_ws, "hourly")
