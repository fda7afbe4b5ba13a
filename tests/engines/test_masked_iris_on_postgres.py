"""energie_elec_iris's PostgreSQL variant reads a masked IRIS consumption as DuckDB does: Enedis's
"s" (or an empty value) on the consumption of an IRIS whose count of sites it gives makes the IRIS a masked component
of its city's sum (tests/energy/test_secrecy_arrondissements.py on DuckDB)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energy.test_secrecy_arrondissements import MASKED, write_enedis_iris, write_ore  # tests/ is on sys.path
from territoria.cli.main import app
from territoria.core.yamlio import read_yaml, write_yaml
from territoria.workspace import Workspace

from .conftest import PG_ENV


@pytest.mark.parametrize("mask", ["s", ""])
def test_a_masked_consumption_is_a_masked_component_on_postgres(mask: str, pg_dsn: str, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    made = CliRunner().invoke(app, ["init", str(root), "--communes", "75056", "--pack", "energy_ghg"])
    assert made.exit_code == 0, made.output
    config = read_yaml(root / "territory.yaml")
    config["engine"] = "postgres"
    config["engine_options"] = {"dsn_env": PG_ENV, "schema_prefix": f"iris{secrets.token_hex(3)}_"}
    write_yaml(root / "territory.yaml", config)
    write_ore(root / "data" / "conso-elec-gaz-commune.csv", set())
    write_enedis_iris(root / "data" / "conso-elec-iris.csv", {MASKED}, mask)
    ran = CliRunner().invoke(app, ["run", "-w", str(root)])
    assert ran.exit_code == 0, ran.output
    with Workspace(root).engine() as engine:
        rows = engine.fetch_all(
            "SELECT mesh, lower_bound, masked_input, masked_share FROM model.energie_elec_iris "
            f"WHERE sector = 'tertiaire' AND code IN ('{MASKED}0101', '75056') ORDER BY mesh"
        )
    assert rows == [("commune", True, False, 1 / 20), ("iris", False, True, 1.0)]
