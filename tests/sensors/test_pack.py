"""The climate_adaptation pack through the normal pipeline, on a small known network."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.pipelines import run_pipeline
from territoria.sensors.ingest import store_for
from territoria.usecases.climate_adaptation import demo
from territoria.workspace import Workspace

from .conftest import NETWORK_A as A
from .conftest import NETWORK_B as B
from .conftest import network_workspace


@pytest.fixture
def pack_ws(tmp_path: Path) -> Workspace:
    # the reference reads 31 °C from 21h to 23h59 UTC, else 19 °C; the city 25 °C, Bruz 22 °C
    city = {A: 25.0, B: 22.0}
    return network_workspace(tmp_path, lambda eui, h: city.get(eui, 19.0 if h % 24 < 21 else 31.0))


def values(ws: Workspace, indicator: str) -> dict[str, float]:
    with ws.engine() as engine:
        rows = engine.fetch_all(f"SELECT code, value FROM indicator.{indicator}")
    return {code: value for code, value in rows}


def test_indicators_from_the_sensor_store(pack_ws: Workspace) -> None:
    with pack_ws.engine() as engine:
        summary = run_pipeline(pack_ws, engine)
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    # night hours 22h-6h local = 20h-4h UTC (CEST): the reference reads 31 °C from 21h to 23h59 UTC, else 19 °C
    ref_night = (3 * 31.0 + 5 * 19.0) / 8
    icu = values(pack_ws, "icu_intensite_capteur")
    assert icu["rennes-centre"] == pytest.approx(25.0 - ref_night, abs=0.01)
    assert icu["bruz"] == pytest.approx(22.0 - ref_night, abs=0.01)
    commune = values(pack_ws, "icu_intensite_commune")
    assert commune["35238"] == pytest.approx(25.0 - ref_night, abs=0.01)
    assert commune["243500139"] == pytest.approx(23.5 - ref_night, abs=0.01)
    tropical = values(pack_ws, "nuits_tropicales")
    assert tropical["35238"] == tropical["35047"] >= 4
    assert values(pack_ws, "jours_canicule")["35238"] == 0  # Tmax 25 < 33
    hot = values(pack_ws, "points_chauds")
    assert max(hot, key=lambda k: hot[k]) == "reference"  # 31 °C evenings
    exposed = values(pack_ws, "exposition_75_plus")
    assert exposed["35238"] > 1000 and exposed["35001"] is None  # no sensor in Acigné
    # a second run while a listener holds the sensor store: it works, and with an unchanged
    # store it lands nothing new and reruns nothing
    with store_for(pack_ws.private).writer(), pack_ws.engine() as engine:
        again = run_pipeline(pack_ws, engine)
    assert again.count("success") == 0


def test_demo_network_plan() -> None:
    from territoria.reference.referential import referential

    communes = list(referential().epci("243500139").membres)
    devices = demo.plan_network(communes)
    assert len(devices) == 61 and sum(d["role"] == "reference_rurale" for d in devices) == 1
    assert {d["commune"] for d in devices} == set(communes)
    assert devices == demo.plan_network(communes)  # deterministic
    rennes = [d["urban"] for d in devices if d["commune"] == "35238"]
    others = [d["urban"] for d in devices if d["commune"] not in ("35238",) and d["role"] == "urbain"]
    assert min(rennes) > max(others) - 0.3 and max(rennes) > 0.9
