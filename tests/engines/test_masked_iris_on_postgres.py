"""energie_elec_iris's PostgreSQL variant reads a masked IRIS consumption as DuckDB does: Enedis's
"s" (or an empty value) on the consumption of an IRIS whose count of sites it gives makes the IRIS
a masked component of its city's sum (tests/energy/test_secrecy_arrondissements.py on DuckDB)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from energy.test_secrecy_arrondissements import MASKED, paris_workspace  # tests/ is on sys.path

from .conftest import PG_ENV


@pytest.mark.parametrize("mask", ["s", ""])
def test_a_masked_consumption_is_a_masked_component_on_postgres(mask: str, pg_dsn: str, tmp_path: Path) -> None:
    options = {"dsn_env": PG_ENV, "schema_prefix": f"iris{secrets.token_hex(3)}_"}
    ws = paris_workspace(
        tmp_path / "ws", iris_masked={MASKED}, mask=mask, engine={"engine": "postgres", "engine_options": options}
    )
    with ws.engine() as engine:
        rows = engine.fetch_all(
            "SELECT mesh, lower_bound, masked_input, masked_share FROM model.energie_elec_iris "
            f"WHERE sector = 'tertiaire' AND code IN ('{MASKED}0101', '75056') ORDER BY mesh"
        )
    assert rows == [("commune", True, False, 1 / 20), ("iris", False, True, 1.0)]
