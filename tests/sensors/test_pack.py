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


def test_the_demo_network_of_a_one_commune_territory() -> None:
    """One commune has one density: its spread was a division by zero (ZeroDivisionError)."""
    from territoria.usecases.climate_adaptation import demo

    devices = demo.plan_network(["35022"])
    assert [d["role"] for d in devices] == ["urbain", "reference_rurale"]
    assert all(0.0 <= d["urban"] <= 1.0 for d in devices)


def test_demo_lht65_frames_in_bulk_are_encode_lht65s() -> None:
    import base64

    import numpy as np

    from territoria.sensors.decoders import encode_lht65

    # halves of a hundredth / tenth (rounded half to even, as round()), negatives, the sentinel
    temps = np.array([0.0, 21.345, -12.5, 0.005, 0.015, -0.005, 59.99, 327.67, 400.0, 18.125])
    hums = np.array([0.0, 50.05, 100.0, 0.25, 0.35, 20.0, 99.95, 70.0, 12.3, 45.65])
    expected = [base64.b64encode(encode_lht65(float(t), float(h))).decode() for t, h in zip(temps, hums, strict=True)]
    assert demo._lht65_data(temps, hums) == expected


def test_demo_uplinks_ingested_as_written_store_what_their_replay_stores(tmp_path: Path) -> None:
    """The demo ingests its uplinks while it writes them: the same store as a replay of the file."""
    import gzip

    import pyarrow.parquet as pq

    from territoria.sensors.ingest import ingest_messages, open_registry, replay

    communes = ["35238", "35047", "35144"]
    devices = [d for d in demo.plan_network(communes) if d["commune"] != "35238"]
    demo.write_registry(tmp_path, devices)
    path = tmp_path / demo.UPLINKS_FILE
    written = (("", line.encode()) for chunk in demo.uplinks_written(path, devices) for line in chunk)
    stores = {}
    for name, feed in (("written", lambda r, s: ingest_messages(r, s, written)), ("replay", None)):
        private = tmp_path / name
        registry, store = open_registry(tmp_path, private, communes), store_for(private)
        report = feed(registry, store) if feed else replay(registry, store, path)
        files = [(f.parent.name, pq.read_table(f)) for f in sorted(store.obs_dir.rglob("*.parquet"))]
        files += [(f.name, pq.read_table(f)) for f in store.hourly_files()]
        quarantine = pq.read_table(store.quarantine_dir).drop(["received"]).to_pylist()
        stores[name] = (report.as_dict() | {"seconds": 0}, files, quarantine)
    assert stores["written"] == stores["replay"]
    assert stores["written"][0]["stored"] > 40_000 and len(stores["written"][2]) == 6  # the malformed frames
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == stores["replay"][0]["messages"]
    assert not list(path.parent.glob(".*.partial"))  # written under a temporary name, then renamed
