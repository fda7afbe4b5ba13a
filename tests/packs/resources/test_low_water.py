"""River low water on the demo's Hub'Eau-shaped flows: jours_etiage against a plain count from
the landed Parquet files (numpy's linear percentile is DuckDB's quantile_cont), the declared
threshold taking precedence over the percentile."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow.parquet as pq
import pytest

from .conftest import ResourcesRun


def test_days_below_the_threshold_match_a_plain_count(resources_run: ResourcesRun) -> None:
    data = resources_run.ws.root / "data"
    stations = pq.read_table(data / "stations-hydrometrie.parquet").to_pylist()
    flows = pq.read_table(data / "debits-cours-eau.parquet").to_pylist()
    by_station: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for f in flows:
        by_station[str(f["code_station"])].append((str(f["date_obs_elab"]), float(f["resultat_obs_elab"])))
    expected: dict[tuple[str, int], int] = {}
    for s in stations:
        series = by_station[str(s["code_station"])]
        declared = s["seuil_etiage_l_s"]
        threshold = float(declared) if declared is not None else float(np.percentile([q for _, q in series], 10))
        for day, q in series:
            key = (str(s["code_station"]), int(day[:4]))
            expected[key] = expected.get(key, 0) + (q < threshold)
    rows = resources_run.rows("SELECT * FROM indicator.jours_etiage")
    got = {(r["code"], r["period"]): r["value"] for r in rows if r["mesh"] == "station"}
    assert got == {k: float(v) for k, v in expected.items()}
    origins = {r["code"]: r["seuil_origine"] for r in rows if r["mesh"] == "station"}
    assert sorted(origins.values()) == ["declare", "percentile", "percentile"]
    epci = {r["period"]: r for r in rows if r["mesh"] == "territoire"}
    assert epci[2025]["value"] == pytest.approx(sum(v for (_, y), v in expected.items() if y == 2025) / 3, abs=0.05)
    # the dry summers of the demo stand out; the year under way is incomplete, not low
    assert epci[2022]["value"] > epci[2021]["value"] and epci[2025]["completeness"] < 0.8
    assert all(r["completeness"] == 1.0 for r in rows if r["period"] == 2021)
