"""codecarbon's online EmissionsTracker must never run; only OfflineEmissionsTracker, and only on request."""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import territoria
from territoria.core.errors import ConfigError
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace

FORBIDDEN = {"EmissionsTracker", "track_emissions"}  # track_emissions starts the online tracker by default


def test_no_source_file_names_the_online_tracker() -> None:
    offenders = []
    for path in Path(territoria.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if isinstance(node, ast.alias):
                name = node.name.rsplit(".", 1)[-1]
            if name in FORBIDDEN:
                offenders.append(f"{path.name}:{node.lineno}")  # type: ignore[attr-defined]
    assert offenders == []


class _Data:
    energy_consumed = 2e-6  # kWh


def tripwire_codecarbon(calls: list[dict[str, Any]]) -> types.ModuleType:
    """A codecarbon whose online tracker fails the test the moment anything builds it."""
    module = types.ModuleType("codecarbon")

    class EmissionsTracker:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("codecarbon.EmissionsTracker (online) was used")

    class OfflineEmissionsTracker:
        def __init__(self, **kwargs: Any) -> None:
            calls.append(kwargs)
            self.final_emissions_data = _Data()

        def start(self) -> None:
            calls.append({"started": True})

        def stop(self) -> float:
            return 1e-7  # kg

    module.EmissionsTracker = EmissionsTracker  # type: ignore[attr-defined]
    module.OfflineEmissionsTracker = OfflineEmissionsTracker  # type: ignore[attr-defined]
    module.track_emissions = EmissionsTracker  # type: ignore[attr-defined]
    return module


def enable(ws: Workspace) -> None:
    path = ws.root / "policies.yaml"
    policies = yaml.safe_load(path.read_text())
    policies["footprint"] = {"codecarbon": True}
    path.write_text(yaml.safe_dump(policies))


def test_cross_check_uses_only_the_offline_tracker(ran_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setitem(sys.modules, "codecarbon", tripwire_codecarbon(calls))
    enable(ran_ws)
    with ran_ws.engine() as engine:
        summary = run_pipeline(ran_ws, engine)
    assert calls[0]["country_iso_code"] == "FRA" and calls[0]["save_to_file"] is False
    assert calls[1] == {"started": True}
    assert summary.footprint["cross_check"] == {
        "tool": "codecarbon OfflineEmissionsTracker (estimate)",
        "energy_wh": 0.002,
        "co2e_g": 0.0001,
    }


def test_without_the_extra_the_option_says_how_to_install(ran_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "codecarbon", None)  # import fails as when it is not installed
    enable(ran_ws)
    with ran_ws.engine() as engine, pytest.raises(ConfigError, match="codecarbon is not installed") as err:
        run_pipeline(ran_ws, engine)
    assert "territoria[codecarbon]" in (err.value.hint or "")
