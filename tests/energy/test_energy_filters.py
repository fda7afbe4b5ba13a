"""An energy indicator's rows filtered on a sector or an energy its values never name are refused
with the close names (``api/routers/indicator_filters.py``); a right one matching nothing is an
empty page. Before, ``filter=energy:eq:electricty`` was a 200 with no rows."""

from __future__ import annotations

import httpx

from territoria.api import create_app
from territoria.testing.live import LiveServer

from .conftest import EnergyRun

ROWS = "/api/datasets/energie_consommation/rows"


def test_unknown_sectors_and_energies_are_refused_with_the_close_names(energy_run: EnergyRun) -> None:
    with LiveServer(create_app(energy_run.ws.root)) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        energies = {r["energy"] for r in client.get(ROWS, params={"limit": 10000}).json()["rows"]}
        assert "electricite" in energies, energies
        r = client.get(ROWS, params={"filter": "energy:eq:electricte"})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "unknown-energy" and "electricite" in error["hint"], error
        r = client.get(ROWS, params={"filter": ["sector:in:residentiel|tertiare"]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "unknown-sector", r.text
        r = client.get(ROWS, params={"filter": ["mesh:eq:arrondissement"]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "unknown-mesh", r.text
        # right values that match nothing together: an empty page
        r = client.get(ROWS, params={"filter": ["energy:eq:electricite", "period:eq:1850"]})
        assert r.status_code == 200 and r.json()["total"] == 0, r.text
        r = client.get(ROWS, params={"filter": ["energy:eq:electricite", "code:eq:35238", "mesh:eq:commune"]})
        assert r.status_code == 200 and r.json()["total"] >= 1, r.text
