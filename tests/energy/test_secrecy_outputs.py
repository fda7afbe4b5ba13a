"""Secrecy of the energy pack's outputs: rules hold, nothing is derivable, the planted cell and
its complements are suppressed in every published table and in the CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from secrecy.tables import derivable_cells  # tests/ is on sys.path (rootdir conftest)
from territoria.cli.main import app
from territoria.ledger import suppressed_cells
from territoria.pipelines import build_plan
from territoria.publication.export import column_metadata

from .conftest import PLANTED, EnergyRun

CELL_TABLES = ["energie_cellules", "energie_consommation", "ges_emissions", "energie_evolution"]


def _key(cell: dict[str, object]) -> tuple[object, ...]:
    return (cell["code"], cell["sector"], cell["energy"], cell["period"])


def test_pipeline_is_green(energy_run: EnergyRun) -> None:
    assert energy_run.status == "success"


def test_no_published_cell_breaks_a_rule(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        bad = engine.fetch_all(
            "SELECT count(*) FROM published.energie_cellules WHERE NOT secret AND nb_sites > 0 AND "
            "((sector = 'residentiel' AND nb_sites < 10) OR (sector <> 'residentiel' AND nb_sites < 3))"
        )[0][0]
        nulls = engine.fetch_all(
            "SELECT count(*) FILTER (WHERE secret AND (consumption_mwh IS NOT NULL OR nb_sites IS NOT NULL)), "
            "count(*) FILTER (WHERE secret) FROM published.energie_cellules"
        )[0]
    assert bad == 0
    assert nulls[0] == 0 and nulls[1] > 0


def test_no_suppressed_cell_is_derivable_from_published_cells(energy_run: EnergyRun) -> None:
    with energy_run.ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT p.code, p.sector, p.energy, p.secret, m.masked_input, p.mesh FROM published.energie_cellules p "
            "JOIN model.energie_cellules m USING (code, sector, energy, period) WHERE p.period = 2020"
        )
    communes = {r[0] for r in rows if r[5] == "commune"}
    parents = [
        {**{c: "243500139" for c in communes}, "243500139": None},
        {s: (None if s == "TOUS" else "TOUS") for s in {r[1] for r in rows}},
        {"electricite": "TOUTES", "gaz": "TOUTES", "TOUTES": None},
    ]
    keys = [(r[0], r[1], r[2]) for r in rows if not r[4]]  # masked upstream: in no equation
    suppressed = {(r[0], r[1], r[2]) for r in rows if r[3] and not r[4]}
    assert len(suppressed) > 10
    assert derivable_cells(keys, parents, suppressed) == []


def _suppressed_keys(energy_run: EnergyRun) -> set[tuple[object, ...]]:
    planted = {"code": PLANTED[0], "sector": PLANTED[1], "energy": PLANTED[2], "period": PLANTED[3]}
    with energy_run.ws.engine() as engine:
        rows = suppressed_cells(engine, "energie_cellules")
    by_cell = {_key(r["cell"]): r for r in rows}
    assert by_cell[PLANTED]["status"] == "primary" and by_cell[PLANTED]["rules"] == ["residentiel-10-points"]
    complements = {k for k, r in by_cell.items() if r["protects"] and _key(r["protects"]) == _key(planted)}
    assert complements, "the planted cell has no complementary suppression"
    return {PLANTED, *complements}


def test_planted_cell_and_complements_are_suppressed_in_every_published_table(energy_run: EnergyRun) -> None:
    keys = _suppressed_keys(energy_run)
    with energy_run.ws.engine() as engine:
        for table in CELL_TABLES:
            value = "consumption_mwh" if table == "energie_cellules" else "value"
            for code, sector, energy, period in keys:
                rows = engine.fetch_all(
                    f"SELECT {value}, secret FROM published.{table} "
                    "WHERE code = ? AND sector = ? AND energy = ? AND period = ?",
                    [code, sector, energy, period],
                )
                if table == "energie_evolution" and not rows:
                    continue  # no reference-year cell for this sector
                assert rows and all(r[0] is None and r[1] for r in rows), (table, code, sector, energy, period)
                if table == "ges_emissions" and energy != "TOUTES":
                    total = engine.fetch_all(
                        "SELECT value, secret FROM published.ges_emissions "
                        "WHERE code = ? AND sector = ? AND energy = 'TOUTES' AND period = ?",
                        [code, sector, period],
                    )
                    assert total[0] == (None, True)  # the sum over energies would give it away


def test_planted_cell_and_complements_are_suppressed_in_the_csv_export(energy_run: EnergyRun, tmp_path: Path) -> None:
    keys = _suppressed_keys(energy_run)
    for dataset in ("energie_consommation", "ges_emissions", "energie_cellules"):
        dest = tmp_path / f"{dataset}.csv"
        result = CliRunner().invoke(
            app, ["export", dataset, "--format", "csv", "--output", str(dest), "--workspace", str(energy_run.ws.root)]
        )
        assert result.exit_code == 0, result.output
        # the French CSV's headers are the columns' titles: read them back as names
        names = {title: name for name, title in column_metadata(build_plan(energy_run.ws), dataset)[0].items()}
        with dest.open(encoding="utf-8-sig") as fh:
            rows = [{names.get(k, k): v for k, v in r.items()} for r in csv.DictReader(fh, delimiter=";")]
        value = "consumption_mwh" if dataset == "energie_cellules" else "value"
        seen = 0
        for row in rows:
            if (row["code"], row["sector"], row["energy"], int(row["period"])) in keys:
                seen += 1
                assert row[value] == "" and row["secret"] == "oui", (dataset, row)
        assert seen == len(keys)
