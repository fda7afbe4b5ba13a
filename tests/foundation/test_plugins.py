"""Plugins reach the pipeline through the registry: a workspace-local pack's rule sets, an
indicator test kind and a step handler registered in code, entry points read once per process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import yaml

import territoria.core.registry as registry_module
from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.engines.base import Engine
from territoria.indicators.definition import IndicatorTest
from territoria.pipelines import run_pipeline
from territoria.pipelines.spec import ModelStep
from territoria.pipelines.steps import Model, StepContext, StepOutcome
from territoria.workspace import Workspace

CELLS = "SELECT 'a' AS code, 3 AS n, 1.0 AS value UNION ALL SELECT 'b', 20, 2.0"
VALUES = "SELECT 'commune' AS mesh, '35238' AS code, 'Rennes' AS libelle, 2022 AS period, 1.5 AS value"


def with_local_pack(ws: Workspace, test_kind: str = "not_null") -> Workspace:
    """``ws`` with a pack folder of its own (``path:`` in territory.yaml) shipping a secrecy rule set."""
    pack = ws.root / "packs" / "local"
    (pack / "models").mkdir(parents=True)
    (pack / "models" / "cells.sql").write_text(CELLS, encoding="utf-8")
    (pack / "models" / "values.sql").write_text(VALUES, encoding="utf-8")
    model = {"name": "cells", "title": "Cells", "sql": "models/cells.sql", "publish": True}
    model["secrecy"] = "statistical.few"
    indicator = {"id": "local_value", "title": "Value", "unit": "u", "sql": "models/values.sql"}
    definition = {
        "name": "local",
        "title": "A workspace's own pack",
        "models": [model],
        "indicators": [{**indicator, "tests": [{"kind": test_kind}]}],
    }
    (pack / "pack.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    rules = {"rulesets": {"few": {"rules": [{"id": "ten", "kind": "min_count", "column": "n", "threshold": 10}]}}}
    (pack / "secrecy.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    config = yaml.safe_load((ws.root / "territory.yaml").read_text(encoding="utf-8"))
    config["packs"]["local"] = {"path": "packs/local"}
    (ws.root / "territory.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return Workspace(ws.root)


def run(ws: Workspace) -> Any:
    with ws.engine() as engine:
        return run_pipeline(ws, engine)


def test_a_workspace_local_pack_ships_its_secrecy_rule_set(small_ws: Workspace) -> None:
    ws = with_local_pack(small_ws)
    summary = run(ws)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    with ws.engine() as engine:
        rows = engine.fetch_all("SELECT code, value, secret FROM published.cells ORDER BY code")
    assert rows == [("a", None, True), ("b", 2.0, False)]


class BelowOne:
    """An indicator test kind a plugin adds: every value is a share (below 1)."""

    needs: ClassVar[tuple[str, ...]] = ()

    def failure(self, engine: Engine, table: str, test: IndicatorTest) -> str | None:
        bad = engine.fetch_all(f"SELECT count(*) FROM {table} WHERE value >= 1")[0][0]
        return f"{bad} value(s) not below 1" if bad else None


def test_a_registered_indicator_test_kind_runs(small_ws: Workspace) -> None:
    with registry.registered("territoria.indicator_tests", "below_one", BelowOne()):
        summary = run(with_local_pack(small_ws, "below_one"))
    (failed,) = summary.failed
    assert failed.step == "indicator:local_value" and "1 value(s) not below 1" in (failed.error or "")


def test_an_unknown_indicator_test_kind_is_a_config_error(small_ws: Workspace) -> None:
    with pytest.raises(ConfigError) as err:
        run(with_local_pack(small_ws, "not_nul"))
    assert "unknown indicator test kind 'not_nul'" in err.value.message and "pack.yaml" in err.value.message
    assert "not_null" in (err.value.hint or "")


def test_a_test_kind_missing_a_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs columns"):
        IndicatorTest(kind="unique")


class CountingModels(Model):
    def __init__(self) -> None:
        self.ran: list[str] = []

    def run(self, ctx: StepContext, step: ModelStep) -> StepOutcome:
        self.ran.append(step.id)
        return super().run(ctx, step)


def test_the_runner_dispatches_through_the_step_handlers(small_ws: Workspace) -> None:
    handler = CountingModels()
    with registry.registered("territoria.steps", "model", handler):
        summary = run(small_ws)
    assert summary.status == "success"
    assert handler.ran and handler.ran == [r.step for r in summary.records if r.step.startswith("model:")]


@pytest.fixture
def counted_scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times the registry reads the installed distributions' entry points from now on."""
    calls: list[int] = []
    real = registry_module.distributions

    def counting() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(registry_module, "distributions", counting)
    registry.rescan()
    yield calls
    registry.rescan()


def test_entry_points_are_read_once_per_process(small_ws: Workspace, counted_scans: list[int]) -> None:
    ws = with_local_pack(small_ws)
    assert run(ws).status == "success"
    assert run(ws).status == "success"
    assert counted_scans == [1]
