"""The seam between the pipeline and an engine: plugins from the registry, capabilities as
data readable before a store is opened, and a protocol with nothing the pipeline does not call."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

import territoria
from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.engines.base import Engine, require
from territoria.engines.registry import available_engines, engine_capabilities, open_engine

from .conftest import store_options

SRC = Path(territoria.__file__).parent


def test_engines_come_from_the_registry() -> None:
    assert available_engines() == registry.names("territoria.engines")
    with pytest.raises(ConfigError, match="unknown engine 'duckbd'") as err:
        open_engine("duckbd", Path("."))
    assert "duckdb" in (err.value.hint or "")


@pytest.mark.parametrize("kind", available_engines())
def test_store_files_are_known_without_opening_the_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    caps = engine_capabilities(kind)
    assert caps.store_size(tmp_path) == 0
    assert caps.store_exists(tmp_path) == (not caps.store_files)
    engine = open_engine(kind, tmp_path, **store_options(kind, request, tmp_path))
    engine.execute("CREATE TABLE t AS SELECT * FROM range(1000)")
    engine.close()
    assert caps.store_exists(tmp_path)
    on_disk = sum(p.stat().st_size for p in tmp_path.iterdir() if p.name in caps.store_files)
    assert caps.store_size(tmp_path) == on_disk and (on_disk > 0 or not caps.store_files)


class _FlatEngine:
    """An engine declaring no spatial support and no file reading (what a warehouse might be)."""

    capabilities = replace(engine_capabilities("duckdb"), name="flat", spatial=False, reads_files=False)


def test_a_missing_capability_is_refused_with_a_hint() -> None:
    flat = cast(Engine, _FlatEngine())
    with pytest.raises(ConfigError, match="flat engine has no `spatial` capability, which GeoJSON export needs") as err:
        require(flat, "spatial", "GeoJSON export")
    assert "engine: duckdb" in (err.value.hint or "")
    require(flat, "embedded", "a store in the workspace")  # a declared capability passes


def test_the_protocol_declares_only_what_the_pipeline_calls() -> None:
    members = [m for m in vars(Engine) if not m.startswith("_") and callable(getattr(Engine, m))]
    outside = "\n".join(
        p.read_text(encoding="utf-8") for p in SRC.rglob("*.py") if "engines" not in p.relative_to(SRC).parts
    )
    unused = [m for m in members if not re.search(rf"\.{m}\(", outside)]
    assert members and unused == []


def test_readers_check_the_capabilities_they_use(tmp_path: Path) -> None:
    from territoria.connectors.formats import get_reader

    flat = cast(Engine, _FlatEngine())
    (tmp_path / "f.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="`reads_files` capability, which reading a landed CSV file needs"):
        get_reader("csv")(flat, tmp_path / "f.csv", {}, tmp_path)
    no_spatial = cast(Engine, type("Reads", (), {"capabilities": replace(flat.capabilities, reads_files=True)})())
    (tmp_path / "f.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(ConfigError, match="`spatial` capability, which reading GeoJSON"):
        get_reader("geojson")(no_spatial, tmp_path / "f.geojson", {}, tmp_path)
