"""The adversary: intervals an outsider proves about suppressed cells, on hand-made tables, on random
tables protected by the real guard, across two tables that share cells, and through the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import DataError
from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.governance.secrecy.adversary import CellLink, PublishedTable, audit, inferred_rounding
from territoria.governance.secrecy.guard import apply_ruleset
from territoria.governance.secrecy.rules import Dimension, RuleSet, load_ruleset
from territoria.ledger import suppressed_cells
from territoria.pipelines import run_pipeline
from territoria.testing.entries import (
    catalog_entry,
    cell_margins,
    file_source,
    masked_input,
    min_count,
    rule_set,
    table_schema,
    write_entry,
)
from territoria.workspace import Workspace, init_workspace

from .tables import Table, complete_table

GEO = Dimension(column="code", parent="parent")
SECTOR = Dimension(column="sector", total="T")


def _table(rows: list[tuple[str, str | None, str, int | None, bool]], name: str = "t", **extra: Any) -> PublishedTable:
    """(code, parent, sector, nb, secret) rows of a code x sector table."""
    cols = ["code", "parent", "sector", "nb", "secret"]
    data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})
    return PublishedTable(name=name, rows=data, dimensions=[GEO, SECTOR], measures=["nb"], **extra)


def test_a_lone_suppressed_cell_beside_a_published_total_is_disclosed() -> None:
    """The classic failure: T = A + B with B published gives A exactly."""
    rows = [("E", None, "T", 30, False), ("A", "E", "T", None, True), ("B", "E", "T", 28, False)]
    truth = pa.table({"code": ["A"], "sector": ["T"], "nb": [2]})
    report = audit([_table(rows, truth=truth, status={("A", "T"): "primary"})])
    [cell] = report.cells
    assert (cell.low, cell.high, cell.verdict) == (2.0, 2.0, "disclosed")
    assert report.disclosed_primary == [cell] and report.exposed == 1


def test_a_suppressed_rectangle_leaves_every_corner_free() -> None:
    """Secondary suppression done right: the four corners of a rectangle move together."""
    values = {("A", "S1"): 2, ("A", "S2"): 20, ("B", "S1"): 20, ("B", "S2"): 30}
    rows: list[tuple[str, str | None, str, int | None, bool]] = []
    for code, sector in values:
        rows.append((code, "E", sector, None, True))
    for code in ("A", "B"):
        rows.append((code, "E", "T", sum(v for (c, _), v in values.items() if c == code), False))
    for sector in ("S1", "S2"):
        rows.append(("E", None, sector, sum(v for (_, s), v in values.items() if s == sector), False))
    rows.append(("E", None, "T", sum(values.values()), False))
    truth = pa.table({"code": [k[0] for k in values], "sector": [k[1] for k in values], "nb": list(values.values())})
    report = audit([_table(rows, truth=truth)])
    found = {(c.key["code"], c.key["sector"]): (c.low, c.high) for c in report.cells}
    assert found[("A", "S1")] == pytest.approx((0.0, 22.0))
    assert found[("B", "S2")] == pytest.approx((28.0, 50.0))
    verdicts = {(c.key["code"], c.key["sector"]): c.verdict for c in report.cells}
    # B-S2 = 30 cannot go below 28: inside its 10 % range on one side
    assert verdicts[("A", "S1")] == "protected" and verdicts[("B", "S2")] == "weak" and report.exposed == 0


def test_rounded_values_are_intervals() -> None:
    assert inferred_rounding(pa.array([1.5, 2.25, None])) == pytest.approx(0.01)
    assert inferred_rounding(pa.array([3, 4])) == 0.0
    rows = [("E", None, "T", 30.0, False), ("A", "E", "T", None, True), ("B", "E", "T", 28.0, False)]
    data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(["code", "parent", "sector", "nb", "secret"])})
    table = PublishedTable("t", data, [GEO, SECTOR], ["nb"], rounding={"nb": 1.0})
    [cell] = audit([table]).cells
    assert (cell.low, cell.high) == pytest.approx((1.0, 3.0))  # 30 ± 0.5 minus 28 ± 0.5


# -- random tables through the real guard ---------------------------------------------------------


def _ruleset(threshold: int, extra: list[Dimension] | None = None) -> RuleSet:
    rules = [masked_input(rule_id="masque"), min_count("nb", threshold, "min")]
    margins = cell_margins(extra=[d.model_dump() for d in extra or []])
    return RuleSet.model_validate({"name": "cells", **rule_set(["nb"], rules, margins)})


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    eng = open_duckdb(None)
    yield eng
    eng.close()


def _stage(engine: DuckDBEngine, name: str, table: Table | pa.Table) -> pa.Table:
    """The unprotected table ``main.<name>`` (a single period when it has none)."""
    truth = table.arrow() if isinstance(table, Table) else table
    if "period" not in truth.column_names:
        truth = truth.append_column("period", pa.array(["2020"] * truth.num_rows))
    engine.register_arrow(f"src_{name}", truth)
    engine.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM src_{name}")
    return truth


def _protect(
    engine: DuckDBEngine,
    name: str,
    table: Table | pa.Table,
    threshold: int,
    extra: list[Dimension] | None = None,
    policies: dict[str, Any] | None = None,
) -> PublishedTable:
    """The table as the real guard publishes it, with the truth and the status of each cell
    (``policies``: the rule sets, when the table shares cells with another; already staged)."""
    truth = _stage(engine, name, table) if policies is None else engine.fetch_arrow(f"SELECT * FROM main.{name}")
    ruleset = _ruleset(threshold, extra) if policies is None else load_ruleset(name, policies)
    result = apply_ruleset(engine, name, f"SELECT * FROM main.{name}", ruleset, policies)
    published = engine.fetch_arrow(result.select_sql)
    status = {tuple(c["cell"].values()): c["status"] for c in suppressed_cells(engine, name)}
    return PublishedTable.from_ruleset(name, published, ruleset, truth=truth, status=status)


tables = st.builds(
    complete_table,
    communes=st.integers(1, 4),
    iris=st.lists(st.integers(0, 3), min_size=0, max_size=3),
    sectors=st.integers(1, 3),
    years=st.integers(1, 2),
    leaf_counts=st.lists(st.integers(0, 40), min_size=1, max_size=10),
    masked=st.lists(st.booleans(), min_size=0, max_size=6),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table=tables, threshold=st.sampled_from([3, 10]))
def test_no_primary_cell_of_a_guarded_table_is_computed_exactly(
    engine: DuckDBEngine, table: Table, threshold: int
) -> None:
    try:
        published = _protect(engine, "rnd", table, threshold)
    except DataError:
        return  # nothing is published when a cell cannot be protected
    report = audit([published])
    for cell in report.cells:
        note(f"{cell.status} {cell.key} true={cell.true_value} in [{cell.low}, {cell.high}] {cell.verdict}")
    assert report.disclosed_primary == []


#: commune x sector x energy counts; the electricity-only table publishes the same "el" cells
LEAVES = {
    ("C0", "S0", "el"): 2, ("C0", "S0", "gz"): 20, ("C0", "S1", "el"): 40, ("C0", "S1", "gz"): 40,
    ("C1", "S0", "el"): 40, ("C1", "S0", "gz"): 1, ("C1", "S1", "el"): 5, ("C1", "S1", "gz"): 1,
    ("C2", "S0", "el"): 12, ("C2", "S0", "gz"): 40, ("C2", "S1", "el"): 12, ("C2", "S1", "gz"): 12,
}  # fmt: skip


def _cube(leaves: dict[tuple[str, str, str], int], energies: list[str]) -> pa.Table:
    """Leaves with their margins: communes -> E, sectors -> T, energies -> TT (when several)."""
    cells = {k: v for k, v in leaves.items() if k[2] in energies}
    codes = sorted({k[0] for k in cells})
    for s, en in itertools.product(("S0", "S1"), energies):
        cells[("E", s, en)] = sum(cells[(c, s, en)] for c in codes)
    for g, en in itertools.product([*codes, "E"], energies):
        cells[(g, "T", en)] = cells[(g, "S0", en)] + cells[(g, "S1", en)]
    if len(energies) > 1:
        for g, s in itertools.product([*codes, "E"], ("S0", "S1", "T")):
            cells[(g, s, "TT")] = sum(cells[(g, s, en)] for en in energies)
    keys = sorted(cells)
    return pa.table(
        {
            "code": [k[0] for k in keys],
            "parent": [None if k[0] == "E" else "E" for k in keys],
            "sector": [k[1] for k in keys],
            "energy": [k[2] for k in keys],
            "nb": [cells[k] for k in keys],
            "masked": [False] * len(keys),
        }
    )


def _sharing_policies(
    threshold: int, first: str, second: str, second_dims: list[Dimension], loop: bool = False
) -> dict[str, Any]:
    """Rule sets ``first`` (with an energy dimension) and ``second`` (its electricity cells alone),
    declared as sharing cells: ``first``'s (code, sector, period) cells of energy ``el``; ``loop``:
    with the protection-range loop (the joint patterns alone can leave a primary cell computable)."""
    energy = Dimension(column="energy", total="TT")
    both = _ruleset(threshold, [energy]).model_dump(by_alias=True, exclude={"name"})
    both["shares"] = [
        {
            "dataset": first,
            "with": second,
            "ruleset": second,
            "keys": {c: c for c in ("code", "sector", "period")},
            "where": "energy = 'el'",
        }
    ]
    alone = _ruleset(threshold).model_dump(by_alias=True, exclude={"name"})
    alone["secondary"]["dimensions"] = [d.model_dump() for d in second_dims]
    both["protection_loop"] = alone["protection_loop"] = loop
    return {"secrecy": {first: both, second: alone}}


ELEC_DIMS = [GEO, SECTOR, Dimension(column="period")]


def test_two_tables_sharing_cells_disclose_no_primary_cell(engine: DuckDBEngine) -> None:
    """Counts (commune, sector, energy) C0S0 el 2 gz 20, C0S1 40/40, C1S0 40/1, C1S1 5/1, C2S0 12/40,
    C2S1 12/12, threshold 10, with margins over communes (E), sectors (T) and energies (TT); a second
    table publishes the electricity cells alone. Protected one at a time, neither table discloses a
    primary cell but their union gives C1 x T x gaz = 2 exactly; protected jointly, it does not."""
    policies = _sharing_policies(10, "energies", "electricity", ELEC_DIMS)
    _stage(engine, "energies", _cube(LEAVES, ["el", "gz"]))
    _stage(engine, "electricity", _cube(LEAVES, ["el"]).drop_columns(["energy"]))
    both = _protect(engine, "energies", _cube(LEAVES, ["el", "gz"]), 10, policies=policies)
    elec = _protect(engine, "electricity", _cube(LEAVES, ["el"]), 10, policies=policies)
    elec = dataclasses.replace(
        elec, link=CellLink(columns={c: c for c in ("code", "sector", "period")}, constants={"energy": "el"})
    )
    assert audit([both]).disclosed_primary == [] and audit([elec]).disclosed_primary == []
    union = audit([both, elec])
    assert [(c.key, c.true_value) for c in union.disclosed_primary] == []
    # one set of decisions: every shared cell is suppressed in both tables or in neither
    secret_el = {k[:2] for k, s in _secrets(both).items() if k[2] == "el" and s}
    assert secret_el == {k[:2] for k, s in _secrets(elec).items() if s}


leaf_tables = st.lists(st.integers(0, 45), min_size=12, max_size=12).map(
    lambda counts: dict(zip(sorted(LEAVES), counts, strict=True))
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(leaves=leaf_tables, threshold=st.sampled_from([3, 10]))
def test_random_tables_sharing_cells_disclose_no_primary_cell_together(
    engine: DuckDBEngine, leaves: dict[tuple[str, str, str], int], threshold: int
) -> None:
    policies = _sharing_policies(threshold, "energies", "electricity", ELEC_DIMS, loop=True)
    _stage(engine, "energies", _cube(leaves, ["el", "gz"]))
    _stage(engine, "electricity", _cube(leaves, ["el"]).drop_columns(["energy"]))
    try:
        both = _protect(engine, "energies", _cube(leaves, ["el", "gz"]), threshold, policies=policies)
        elec = _protect(engine, "electricity", _cube(leaves, ["el"]), threshold, policies=policies)
    except DataError:
        return  # nothing is published when a cell cannot be protected
    elec = dataclasses.replace(
        elec, link=CellLink(columns={c: c for c in ("code", "sector", "period")}, constants={"energy": "el"})
    )
    union = audit([both, elec])
    for cell in union.disclosed_primary:
        note(f"{cell.key} true={cell.true_value} in [{cell.low}, {cell.high}]")
    assert union.disclosed_primary == []


def _secrets(table: PublishedTable) -> dict[tuple[Any, ...], bool]:
    cols = [c for c in ("code", "sector", "energy") if c in table.rows.column_names]
    return {tuple(r[c] for c in cols): bool(r["secret"]) for r in table.rows.to_pylist()}


# -- the CLI ---------------------------------------------------------------------------------------

CSV = (
    "code,parent_code,sector,nb\nE,,T,70\nA,E,T,22\nB,E,T,48\nA,E,S1,2\nA,E,S2,20\nB,E,S1,18\nB,E,S2,30\n"
    "E,,S1,20\nE,,S2,50\n"
)


def _cells_workspace(root: Path) -> Workspace:
    init_workspace(root, communes=["35238"], name="Une commune")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "cells.csv").write_text(CSV, encoding="utf-8")
    fields = {"code": "string", "parent_code": "string", "sector": "string", "nb": "integer"}
    entry = catalog_entry("cells", file_source("cells.csv"), publish=True, secrecy="statistical.cells")
    write_entry(root / "sources", {**entry, "schema": table_schema(fields)})
    rules = rule_set(["nb"], [min_count("nb", 3)], cell_margins("parent_code", period=False, cost=None))
    (root / "policies.yaml").write_text(yaml.safe_dump({"secrecy": {"cells": rules}}), encoding="utf-8")
    return Workspace(root)


def test_cli_audits_the_published_tables(tmp_path: Path) -> None:
    ws = _cells_workspace(tmp_path / "ws")
    with ws.engine() as eng:
        run_pipeline(ws, eng, only=["cells"])
    result = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(ws.root), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [report] = data["reports"]
    # A-S1 (2) is primary; the guard suppresses the rectangle A/B x S1/S2: every corner moves
    assert report["tables"] == ["cells"] and report["suppressed"] == 4 and report["exposed"] == 0
    assert report["by_verdict"]["disclosed"] == 0 and report["by_verdict"]["weak"] == 1  # B-S2 = 30 >= 28
    table = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(ws.root)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "narrowest" in table.output


def test_cli_exits_non_zero_when_a_cell_is_exposed(tmp_path: Path) -> None:
    ws = _cells_workspace(tmp_path / "ws")
    with ws.engine() as eng:
        run_pipeline(ws, eng, only=["cells"])
        # a publication that kept only the primary cell secret (no complement): A-S1 = 22 - 20
        eng.execute(
            "CREATE OR REPLACE TABLE published.cells AS SELECT * REPLACE (CASE WHEN code = 'A' AND sector = 'S1' "
            "THEN NULL ELSE nb END AS nb), code = 'A' AND sector = 'S1' AS secret FROM staging.cells"
        )
    result = CliRunner().invoke(app, ["secrecy", "audit", "-w", str(ws.root), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    [cell] = json.loads(result.output)["reports"][0]["cells"]
    assert cell["key"] == {"code": "A", "sector": "S1"} and cell["verdict"] == "disclosed"


def test_links_put_shared_cells_in_one_unknown() -> None:
    """A cell suppressed in one table and published in another is disclosed in the union."""
    rows = [("E", None, "T", 30, False), ("A", "E", "T", None, True), ("B", "E", "T", None, True)]
    other = [("A", "E", "T", 2, False)]
    union = audit([_table(rows), _table(other, name="u", link=CellLink(columns={"code": "code", "sector": "sector"}))])
    got = {c.key["code"]: (c.low, c.high, c.verdict) for c in union.cells}
    assert got == {"A": (2.0, 2.0, "disclosed"), "B": (28.0, 28.0, "disclosed")}


def test_a_changed_rule_publishes_again(tmp_path: Path) -> None:
    """The rule set's contents are part of the publish step's definition, not only its name."""
    from territoria.pipelines.plan import build_plan

    ws = _cells_workspace(tmp_path / "ws")
    before = build_plan(ws).steps["publish:cells"].definition
    policies = yaml.safe_load((ws.root / "policies.yaml").read_text(encoding="utf-8"))
    policies["secrecy"]["cells"]["rules"][0]["threshold"] = 4
    (ws.root / "policies.yaml").write_text(yaml.safe_dump(policies), encoding="utf-8")
    after = build_plan(Workspace(ws.root)).steps["publish:cells"].definition
    assert before["rules"] and after["rules"] and before["rules"] != after["rules"]
    assert {k: v for k, v in before.items() if k != "rules"} == {k: v for k, v in after.items() if k != "rules"}
