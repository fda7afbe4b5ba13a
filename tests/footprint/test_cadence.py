"""A source is not re-checked faster than its declared frequency (policy), unless --check-all."""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml

from territoria.footprint.cadence import not_due
from territoria.footprint.params import Cadence
from territoria.pipelines import run_pipeline
from territoria.workspace import Workspace


def enable_cadence(ws: Workspace, exempt: list[str]) -> None:
    path = ws.root / "policies.yaml"
    policies = yaml.safe_load(path.read_text())
    policies["footprint"] = {"cadence": {"respect_frequency": True, "exempt_kinds": exempt}}
    path.write_text(yaml.safe_dump(policies))


def test_not_due_until_the_declared_period_has_passed(small_ws: Workspace) -> None:
    entry = small_ws.entries()["population-communes"]
    checked = datetime(2026, 1, 1)
    on = Cadence(respect_frequency=True, exempt_kinds=[])
    assert "declared annual" in (not_due(on, entry, checked, checked + timedelta(days=364)) or "")
    assert not_due(on, entry, checked, checked + timedelta(days=365)) is None
    assert not_due(on, entry, None, checked) is None  # never checked: check now
    assert not_due(Cadence(respect_frequency=False), entry, checked, checked) is None
    assert not_due(Cadence(respect_frequency=True), entry, checked, checked) is None  # file kind is exempt


def test_annual_source_is_skipped_by_cadence_until_check_all(small_ws: Workspace) -> None:
    enable_cadence(small_ws, exempt=[])
    csv = small_ws.root / "data" / "population-communes.csv"
    with small_ws.engine() as engine:
        first = run_pipeline(small_ws, engine)
        csv.write_text(csv.read_text(encoding="utf-8").replace(";2022", ";2023"), encoding="utf-8")
        second = run_pipeline(small_ws, engine)
        by_step = {r.step: r for r in second.records}
        pop = by_step["ingest:population-communes"]
        assert pop.status == "skipped" and pop.reason.startswith("not due (declared annual")
        assert "fetch" not in pop.report  # the source was not even looked at
        assert pop.footprint["avoided"]["from_run"] == first.run_id
        fetches = engine.fetch_all("SELECT count(*) FROM _territoria.fetches WHERE run_id = ?", [second.run_id])
        assert fetches[0][0] == 0
        third = run_pipeline(small_ws, engine, check_all=True)
        by_step = {r.step: r for r in third.records}
        assert by_step["ingest:population-communes"].status == "success"
        assert by_step["indicator:densite_population"].status == "success"
        years = engine.fetch_all('SELECT DISTINCT "ANNEE" FROM staging."population-communes"')
    assert [str(y[0]) for y in years] == ["2023"]


def test_exempt_kinds_are_always_checked(small_ws: Workspace) -> None:
    enable_cadence(small_ws, exempt=["file", "referential"])
    csv = small_ws.root / "data" / "population-communes.csv"
    with small_ws.engine() as engine:
        run_pipeline(small_ws, engine)
        csv.write_text(csv.read_text(encoding="utf-8").replace(";2022", ";2023"), encoding="utf-8")
        second = run_pipeline(small_ws, engine)
    assert {r.step: r.status for r in second.records}["ingest:population-communes"] == "success"
