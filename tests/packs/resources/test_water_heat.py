"""Water stress × heat (pack water_heat): days under a drought restriction at alerte level or
above that are also heat-wave days at the commune's sensors, checked against a plain Python
count; and, on a workspace without inputs, the indicator waits saying what it waits for."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from territoria.catalog.packs import load_pack
from territoria.engines.base import TableWrite
from territoria.pipelines import run_pipeline
from territoria.pipelines.spec import DatasetInfo, render_sql
from territoria.workspace import init_workspace

from .packsql import TERRITORY, load, pack_engine

IBMN, IBMX = 18.0, 33.0
DAY0 = date(2025, 7, 1)
# sensor -> (commune, reference, daily (tmin, tmax) from DAY0)
SENSORS: dict[str, tuple[str, bool, list[tuple[float, float]]]] = {
    "a": ("35238", False, [(15, 25), (19, 34), (20, 35), (21, 36), (19, 34), (16, 28), (19, 35), (20, 36)]),
    "b": ("35238", False, [(14, 24), (17, 31), (18, 33), (19, 34), (18, 33), (15, 27), (14, 26), (15, 27)]),
    "c": ("35047", False, [(19, 34), (20, 35), (21, 36), (20, 35), (19, 34), (18, 33), (18, 33), (18, 33)]),
    "ref": ("35144", True, [(22, 38)] * 8),
}
# commune -> (level, first day, last day)
ORDERS = [
    ("35238", "vigilance", date(2025, 6, 20), date(2025, 7, 2)),
    ("35238", "alerte", date(2025, 7, 3), date(2025, 7, 5)),
    ("35238", "crise", date(2025, 7, 5), date(2025, 7, 31)),
    ("35047", "vigilance", date(2025, 7, 1), date(2025, 7, 31)),
    ("35144", "crise", date(2025, 7, 1), date(2025, 7, 31)),
]


def _inputs() -> dict[str, tuple[str, pa.Table]]:
    days: list[dict[str, Any]] = []
    for ds, (commune, ref, temps) in SENSORS.items():
        for i in range(len(temps)):
            w = temps[max(0, i - 2) : i + 1]
            full = len(w) == 3
            days.append({
                "datastream": ds, "commune": commune, "commune_nom": f"C{commune}", "reference": ref,
                "day": DAY0 + timedelta(days=i), "ibmn": sum(t[0] for t in w) / 3 if full else None,
                "ibmx": sum(t[1] for t in w) / 3 if full else None,
            })  # fmt: skip
    orders = [
        {"code_commune": c, "numero_arrete": f"A{n}", "type_zone": "SUP", "niveau_gravite": lvl, "date_debut": d0,
         "date_fin": d1}
        for n, (c, lvl, d0, d1) in enumerate(ORDERS)
    ]  # fmt: skip
    canicule = [{"mesh": "commune", "code": "35238", "seuil_ibmn": IBMN, "seuil_ibmx": IBMX}]
    return {
        "jours_capteurs": ("model", pa.Table.from_pylist(days)),
        "jours_canicule": ("indicator", pa.Table.from_pylist(canicule)),
        "restrictions-secheresse": ("staging", pa.Table.from_pylist(orders)),
    }


def _plain() -> dict[str, float]:
    """Per commune: the mean over its urban sensors of the days in both states."""
    alert = {(c, d0 + timedelta(days=k)) for c, lvl, d0, d1 in ORDERS if lvl != "vigilance"
             for k in range((d1 - d0).days + 1)}  # fmt: skip
    per_sensor: dict[str, list[int]] = {}
    for commune, ref, temps in SENSORS.values():
        if ref:
            continue
        n = 0
        for i in range(2, len(temps)):
            w = temps[i - 2 : i + 1]
            hot = sum(t[0] for t in w) / 3 >= IBMN and sum(t[1] for t in w) / 3 >= IBMX
            n += hot and (commune, DAY0 + timedelta(days=i)) in alert
        per_sensor.setdefault(commune, []).append(n)
    result = {c: sum(v) / len(v) for c, v in per_sensor.items()}
    every = [n for v in per_sensor.values() for n in v]
    result["epci"] = sum(every) / len(every)
    return result


def test_matches_a_plain_count() -> None:
    pack = load_pack("water_heat")
    with pack_engine() as (engine, datasets):
        load(engine, datasets, _inputs())
        sql = render_sql(pack.read_sql("indicators/jours_secheresse_canicule.sql"), datasets, TERRITORY, "x")
        info = DatasetInfo("x", "indicator", "x")
        engine.ensure_schema(info.schema)
        engine.create_or_replace(TableWrite(info.schema, "x", sql))
        rows = engine.fetch_arrow(f"SELECT * FROM {info.qualified}").to_pylist()
    got = {("epci" if r["mesh"] == "epci" else r["code"]): r["value"] for r in rows}
    expected = _plain()
    assert got == expected
    # under alerte from 3 July: sensor a is hot on the 4th, 5th and 8th, b on the 5th
    assert expected["35238"] == 2.0 and expected["35047"] == 0.0  # vigilance is not a restriction
    assert {r["period"] for r in rows} == {2025} and "35144" not in got  # the reference sensor is not counted
    assert all(0 < r["completeness"] <= 1 for r in rows)


def test_waits_without_the_inputs(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238", "35047"], name="Deux communes", packs=["water_heat"])
    assert {"resources", "climate_adaptation"} <= set(ws.enabled_packs())
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, hooks=[])
    steps = {r.step: r for r in summary.records}
    assert summary.status == "success" and not [s for s, r in steps.items() if r.status in ("failed", "blocked")]
    # the climate pack's thresholds are the territory's to set: jours_canicule waits for them
    assert "canicule_ibmn" in (steps["indicator:jours_canicule"].error or "")
    rec = steps["indicator:jours_secheresse_canicule"]
    assert rec.status == "waiting" and steps["publish:jours_secheresse_canicule"].status == "waiting"
    assert rec.error and "jours_canicule" in rec.error and "restrictions-secheresse" in rec.error
