"""Derived energy indicators inherit the decisions of the cells they read: each is secret whenever
a cell it needs is, and, read back as cells (consumption, per-inhabitant figure x population),
audited together with the protected cube they add nothing an outsider could use to pin a
suppressed cell. A derived figure that published a rounded value of a secret cell would be caught
(the control below)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from territoria.engines.base import Engine
from territoria.governance.secrecy.adversary import PublishedTable, audit
from territoria.governance.secrecy.rules import load_ruleset
from territoria.workspace import Workspace

# the first test to ask for the demo pays its whole build (`territoria demo`): minutes on a loaded machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

YEAR = 2020  # years are independent components (no margin over years): one is enough
KEYS = ("code", "period", "sector", "energy")


def _secret_mismatches(engine: Engine, indicator: str, on: str, secret: str) -> list[Any]:
    """Rows of ``indicator`` not secret although a cell they read is (``secret``), or secret with a
    value. (A derived figure may be secret more often: an emissions total is secret when one of its
    energies is, even where the consumption total is published, or the two would give it away.)"""
    return engine.fetch_all(
        f"SELECT d.code, d.period FROM published.{indicator} d JOIN published.energie_cellules c ON {on} "
        f"WHERE (({secret}) AND NOT d.secret) OR (d.secret AND d.value IS NOT NULL) LIMIT 5"
    )


def test_derived_indicators_are_secret_wherever_their_cells_are(demo_energy_ws: Workspace) -> None:
    same = " AND ".join(f"c.{k} = d.{k}" for k in KEYS) + " AND c.mesh = d.mesh"
    with demo_energy_ws.engine() as engine:
        assert engine.fetch_all("SELECT count(*) FROM published.energie_cellules WHERE secret")[0][0] > 1000
        assert _secret_mismatches(engine, "energie_consommation", same, "c.secret") == []
        assert _secret_mismatches(engine, "ges_emissions", same, "c.secret") == []
        per_head = "c.mesh = d.mesh AND c.code = d.code AND c.period = d.period AND c.energy = d.energy"
        assert _secret_mismatches(engine, "energie_par_habitant", per_head + " AND c.sector = 'TOUS'", "c.secret") == []
        # a change is secret when either year's cell is
        evolution = (
            same.replace("c.period = d.period", "c.period = d.reference_year")
            + " JOIN published.energie_cellules y ON y.mesh = d.mesh AND y.code = d.code AND y.period = d.period "
            "AND y.sector = d.sector AND y.energy = d.energy"
        )
        assert _secret_mismatches(engine, "energie_evolution", evolution, "c.secret OR y.secret") == []


def _tables(engine: Engine, leak: bool = False) -> list[PublishedTable]:
    """The protected cube of ``YEAR`` and two derived indicators read back as its cells (``leak``:
    the consumption indicator publishes every secret cell rounded to its display precision)."""
    ruleset = load_ruleset("energy")
    cube = engine.fetch_arrow(f"SELECT * FROM published.energie_cellules WHERE period = {YEAR}")
    truth = engine.fetch_arrow(f"SELECT * FROM model.energie_cellules WHERE period = {YEAR}")
    value = "round(t.consumption_mwh, 1)" if leak else "d.value"
    consumption = engine.fetch_arrow(
        f"SELECT c.code, c.parent_code, c.period, c.sector, c.energy, {value} AS consumption_mwh, "
        f"{'false' if leak else 'd.secret'} AS secret, c.masked_input FROM published.energie_consommation d "
        "JOIN published.energie_cellules c USING (mesh, code, period, sector, energy) "
        "JOIN model.energie_cellules t USING (mesh, code, period, sector, energy) "
        f"WHERE d.period = {YEAR}"
    )
    per_head = engine.fetch_arrow(
        "WITH pop AS (SELECT code, population FROM model.communes UNION ALL "
        "SELECT (SELECT any_value(code) FROM published.energie_cellules WHERE mesh = 'epci'), sum(population) "
        "FROM model.communes) "
        "SELECT c.code, c.parent_code, c.period, 'TOUS' AS sector, c.energy, "
        "d.value * p.population AS consumption_mwh, d.secret, c.masked_input "
        "FROM published.energie_par_habitant d JOIN published.energie_cellules c "
        "ON c.mesh = d.mesh AND c.code = d.code AND c.period = d.period AND c.energy = d.energy "
        "AND c.sector = 'TOUS' "
        f"JOIN pop p ON p.code = d.code WHERE d.period = {YEAR}"
    )
    base = PublishedTable.from_ruleset("energie_cellules", cube, ruleset, truth=truth)
    # cells masked upstream are in no equation of the cube: nor of the indicators read as cells
    as_cells = dataclasses.replace(base, truth=None, measures=["consumption_mwh"])
    return [
        base,
        dataclasses.replace(as_cells, name="energie_consommation", rows=consumption, rounding=None),
        dataclasses.replace(as_cells, name="energie_par_habitant", rows=per_head, rounding={"consumption_mwh": 1e-6}),
    ]


def test_derived_indicators_give_the_adversary_nothing_more(demo_energy_ws: Workspace) -> None:
    with demo_energy_ws.engine() as engine:
        tables, leaky = _tables(engine), _tables(engine, leak=True)
    alone = audit(tables[:1])
    together = audit(tables)
    assert together.suppressed == alone.suppressed > 100
    assert together.exposed == 0 and not together.disclosed_primary
    # the control: a derived figure publishing secret cells, even rounded, is caught
    caught = audit(leaky[:2])
    assert caught.count("disclosed") > 100, caught.as_dict()["by_verdict"]
