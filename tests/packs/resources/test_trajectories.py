"""Property tests of the ZAN and waste trajectories: on random inputs, the pack's SQL (from the
raw file layout through the models to the indicator) equals a plain Python computation of the
rule, the trajectories are monotone, and "above the trajectory" holds exactly when the value
exceeds the target."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .packsql import TERRITORY, load, pack_engine, run_step

NAF_YEARS = list(range(2009, 2023))
DESTS = ("hab", "act", "mix", "rou", "fer", "inc")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

flows = st.lists(st.integers(min_value=0, max_value=400_000), min_size=len(NAF_YEARS), max_size=len(NAF_YEARS))


def naf_table(communes: list[list[int]]) -> pa.Table:
    columns: dict[str, list[Any]] = {"idcom": [f"99{i:03d}" for i in range(len(communes))]}
    for k, year in enumerate(NAF_YEARS):
        columns[f"naf{year % 100:02d}art{(year + 1) % 100:02d}"] = [float(c[k]) for c in communes]
    for d in DESTS:
        for k, year in enumerate(NAF_YEARS):
            # everything to housing: the split is not what these properties are about
            columns[f"art{year % 100:02d}{d}{(year + 1) % 100:02d}"] = [
                float(c[k]) if d == "hab" else 0.0 for c in communes
            ]
    return pa.table(columns)


def zan_reference(per_commune: list[list[int]]) -> dict[int, tuple[float | None, float, float]]:
    """period -> (cumulated ha since 2021 or None, target ha, envelope ha) for the sum of the communes."""
    total = [sum(c[k] for c in per_commune) for k in range(len(NAF_YEARS))]
    by_year = dict(zip(NAF_YEARS, total, strict=True))
    reference = sum(by_year[y] for y in range(2011, 2021)) / 1e4
    envelope = reference * 0.5
    out = {}
    for period in range(2021, 2031):
        cumul = sum(by_year[y] for y in range(2021, period + 1)) / 1e4 if period <= NAF_YEARS[-1] else None
        out[period] = (cumul, envelope * (period - 2020) / 10, envelope)
    return out


@pytest.fixture(scope="module")
def engine_datasets() -> Any:
    with pack_engine() as pair:
        yield pair


@SETTINGS
@given(st.lists(flows, min_size=1, max_size=4))
def test_zan_trajectory(engine_datasets: Any, communes: list[list[int]]) -> None:
    engine, datasets = engine_datasets
    table = naf_table(communes)
    codes = table["idcom"].to_pylist()
    load(engine, datasets, {
        "consommation-espaces-naf": ("staging", table),
        "communes": ("model", pa.table({"code": codes, "nom": [f"Commune {c}" for c in codes]})),
    })  # fmt: skip
    run_step(engine, datasets, "model", "foncier_flux")
    rows = run_step(engine, datasets, "indicator", "zan_trajectoire")
    epci = sorted((r for r in rows if r["mesh"] == "epci"), key=lambda r: r["period"])
    expected = zan_reference(communes)
    assert [r["period"] for r in epci] == list(expected)
    assert all(r["code"] == TERRITORY["territory.epci"] for r in epci)
    for r in epci:
        cumul, target, envelope = expected[r["period"]]
        assert r["value"] == pytest.approx(cumul) if cumul is not None else r["value"] is None
        assert r["target_value"] == pytest.approx(target)
        assert r["enveloppe_ha"] == pytest.approx(envelope)
        if r["value"] is not None:
            assert r["au_dessus_trajectoire"] == (r["value"] > r["target_value"])
    values = [r["value"] for r in epci if r["value"] is not None]
    assert values == sorted(values)  # a cumulated consumption never decreases
    targets = [r["target_value"] for r in epci]
    assert targets == sorted(targets) and targets[-1] == pytest.approx(targets[0] * 10)
    # each commune's trajectory is the same rule on its own flows
    for i, code in enumerate(codes):
        mine = {r["period"]: r for r in rows if r["code"] == code}
        for period, (cumul, target, _) in zan_reference([communes[i]]).items():
            assert mine[period]["target_value"] == pytest.approx(target)
            assert mine[period]["value"] == pytest.approx(cumul) if cumul is not None else mine[period]["value"] is None


STREAMS = ["ordures_menageres_residuelles", "emballages_papiers", "verre", "biodechets", "decheteries", "gravats",
           "dechets_dangereux"]  # fmt: skip
tonnage = st.floats(min_value=0, max_value=200_000, allow_nan=False)
year_report = st.tuples(
    st.integers(min_value=10_000, max_value=800_000),  # population served
    st.lists(tonnage, min_size=len(STREAMS), max_size=len(STREAMS)),
    st.lists(st.floats(min_value=0, max_value=1), min_size=len(STREAMS), max_size=len(STREAMS)),
)


def report_table(report: dict[int, tuple[int, list[float], list[float]]]) -> pa.Table:
    rows = []
    for year, (population, tonnages, recycled) in sorted(report.items()):
        for flux, t, share in zip(STREAMS, tonnages, recycled, strict=True):
            rows.append({"ANNEE": year, "FLUX": flux, "TONNAGE_T": t, "VALORISATION_MATIERE_T": t * share,
                         "VALORISATION_ORGANIQUE_T": 0.0, "VALORISATION_ENERGETIQUE_T": 0.0,
                         "ELIMINATION_T": t * (1 - share), "POPULATION_DESSERVIE": population})  # fmt: skip
    return pa.Table.from_pylist(rows)


@SETTINGS
@given(st.dictionaries(st.integers(min_value=2005, max_value=2035), year_report, min_size=1, max_size=8))
def test_waste_trajectory(engine_datasets: Any, report: dict[int, tuple[int, list[float], list[float]]]) -> None:
    engine, datasets = engine_datasets
    load(engine, datasets, {"dechets-rapport-annuel": ("staging", report_table(report))})
    run_step(engine, datasets, "model", "dechets_flux")
    rows = sorted(run_step(engine, datasets, "indicator", "dechets_trajectoire"), key=lambda r: r["period"])
    dma = {y: 1000 * sum(t) / pop for y, (pop, t, _) in report.items()}
    reference = dma.get(2010)
    periods = list(range(min(2010, *report), max(2030, *report) + 1))
    assert [r["period"] for r in rows] == periods
    for r in rows:
        assert r["value"] == pytest.approx(dma[r["period"]]) if r["period"] in dma else r["value"] is None
        if reference is None:
            assert r["target_value"] is None and r["completeness"] == 0
            continue
        progress = min(1.0, max(0.0, (r["period"] - 2010) / 20))
        assert r["target_value"] == pytest.approx(reference * (1 - 0.15 * progress))
        if r["value"] is not None and r["target_value"] > 0:
            # the target is reached exactly when the gap is not positive
            assert (r["ecart_pct"] <= 1e-9) == (r["value"] <= r["target_value"] * (1 + 1e-11))
    targets = [r["target_value"] for r in rows if r["target_value"] is not None]
    assert targets == sorted(targets, reverse=True)  # never rises
    if reference is not None:
        assert next(r for r in rows if r["period"] == 2030)["target_value"] == pytest.approx(0.85 * reference)

    recycling = run_step(engine, datasets, "indicator", "dechets_valorisation")
    for r in recycling:
        _, tonnages, shares = report[r["period"]]
        keep = [i for i, f in enumerate(STREAMS) if r["measure"] == "dma" or f not in ("gravats", "dechets_dangereux")]
        total = sum(tonnages[i] for i in keep)
        if total == 0:
            assert r["value"] is None
            continue
        expected = 100 * sum(tonnages[i] * shares[i] for i in keep) / total
        assert r["value"] == pytest.approx(expected)
        assert r["cible_atteinte"] == (r["value"] / 100 >= r["target_value"] / 100)


def test_waste_sums_do_not_depend_on_the_rows_order(engine_datasets: Any) -> None:
    """The groups' tonnages (DMA, OMA, ...) add doubles: in the order the threads met the rows they
    changed in their last bits with the thread count, and so did the published bytes. One thread
    over the same report in two physical orders makes the two orders of addition differ for certain."""
    engine, datasets = engine_datasets
    tonnages = [0.1 * 3**k + 1e5 / (k + 1) for k in range(len(STREAMS))]
    report = {2022: (215_000, tonnages, [0.1 * k for k in range(len(STREAMS))])}
    rows = report_table(report).to_pylist()
    engine.execute("SET threads = 1")
    try:
        results = []
        for order in (rows, rows[::-1]):
            load(engine, datasets, {"dechets-rapport-annuel": ("staging", pa.Table.from_pylist(order))})
            results.append(sorted(run_step(engine, datasets, "model", "dechets_flux"), key=lambda r: r["flux"]))
    finally:
        engine.execute("RESET threads")
    assert len(results[0]) == len(STREAMS) + 3  # the streams and the DMA, OMA and DND groups
    assert results[0] == results[1]
