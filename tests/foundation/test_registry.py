"""The plugin registry: built-ins come from entry points, code can register and shadow."""

from __future__ import annotations

import pytest

from territoria.core.errors import ConfigError
from territoria.core.registry import Registry, registry


def test_builtins_are_entry_points() -> None:
    assert "duckdb" in registry.names("territoria.engines")
    assert {"file", "http", "ods"} <= set(registry.names("territoria.connectors"))
    assert registry.entry_point("territoria.engines", "duckdb") is not None


def test_unknown_plugin_suggests_close_names() -> None:
    with pytest.raises(ConfigError) as err:
        registry.get("territoria.connectors", "htp")
    assert "unknown source kind 'htp'" in str(err.value)
    assert "http" in (err.value.hint or "")


def test_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown extension point"):
        Registry().names("territoria.enignes")


def test_registered_object_shadows_and_goes_away() -> None:
    reg = Registry()
    marker = object()
    with reg.registered("territoria.engines", "duckdb", marker):
        assert reg.get("territoria.engines", "duckdb") is marker
        assert reg.entry_point("territoria.engines", "duckdb") is None
    assert reg.get("territoria.engines", "duckdb") is not marker


def test_entry_points_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry()
    calls = []
    import territoria.core.registry as mod

    real = mod.distributions

    def counting() -> object:
        calls.append(1)
        return real()

    monkeypatch.setattr(mod, "distributions", counting)
    for _ in range(3):
        reg.names("territoria.connectors")
        reg.names("territoria.packs")
    assert len(calls) == 1
