"""Two emission factors of one energy whose years overlap give a leaf two emissions: the run stops
on ges_emissions saying which factors and how to fix them, and publishes none of it. Before, the
indicator's unique test refused it as "616 duplicated key(s) on (mesh, code, ...)", which names
neither factor nor the file to fix."""

from __future__ import annotations

from pathlib import Path

from territoria.catalog.packs import load_pack
from territoria.pipelines import run_pipeline
from territoria.workspace import init_workspace

from .conftest import RENNES

OVERLAPPING = (
    "ELEC-MIX-MOYEN-2023-BIS;electricite;2023;2023;2023;consommation;kgCO2e/kWh;0.06;"
    "ADEME Base Empreinte;territoria-ef-2026.1;test\n"
)


def test_overlapping_factor_years_stop_the_emissions_with_which_factors(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "rennes", epci=RENNES, packs=["territory", "energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    factors = ws.root / "data" / "facteurs-emission.csv"
    factors.write_text(factors.read_text("utf-8") + OVERLAPPING, encoding="utf-8")
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)
        failed = {s.step: s.error or "" for s in summary.failed}
        tables = engine.fetch_all("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'published'")
    published = {name for (name,) in tables}
    assert "indicator:ges_emissions" in failed, failed
    message = failed["indicator:ges_emissions"]
    assert "ELEC-MIX-MOYEN-2023-BIS" in message and "ELEC-MIX-MOYEN-2022" in message, message
    assert "give each year of an energy one factor" in message
    # a deliberate stop of the pack's SQL is a data error: its message alone, no traceback kept
    # (before: "internal error InvalidInputException: Invalid Input Error: ..." and a traceback)
    record = next(s for s in summary.failed if s.step == "indicator:ges_emissions")
    assert message.startswith("facteurs-emission: the factor "), message
    assert "traceback" not in record.report and "\x1e" not in message
    assert "ges_emissions" not in published and "ges_trajectoire" not in published
