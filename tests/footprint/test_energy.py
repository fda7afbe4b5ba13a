"""Meter arithmetic, uncertainty bands, parameters and the carbon table."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territoria.core.errors import ConfigError
from territoria.footprint.energy import (
    StepModel,
    Usage,
    band_of,
    describe,
    estimate,
    intensity_json,
    step_totals,
    storage_wh_per_month,
)
from territoria.footprint.params import Band, ModelParams, carbon_table, intensity, load_policy


def test_band_arithmetic_propagates_bounds() -> None:
    a = Band(value=2, low=1, high=4)
    b = Band(value=3, low=2, high=5)
    assert (a + b).as_dict() == {"value": 5, "low": 3, "high": 9}
    assert a.times(b).as_dict() == {"value": 6, "low": 2, "high": 20}
    assert a.scale(0.5).as_dict() == {"value": 1, "low": 0.5, "high": 2}
    with pytest.raises(ValueError, match="low <= value <= high"):
        Band(value=1, low=2, high=3)


def test_estimate_cpu_memory_network() -> None:
    params = ModelParams(
        cpu_w_per_core=Band(value=4, low=2, high=8),
        memory_w_per_gb=Band(value=0.5, low=0.25, high=1),
        network_kwh_per_gb=Band(value=0.01, low=0.002, high=0.06),
    )
    # one CPU-hour, 2 GB resident for one hour, 1 GB over the network
    energy = estimate(Usage(wall_s=3600, cpu_s=3600, peak_rss_bytes=2 * 10**9, net_bytes=10**9), params)
    parts = {k: v.as_dict() for k, v in energy.components.items()}
    assert parts["cpu_wh"] == {"value": 4, "low": 2, "high": 8}
    assert parts["memory_wh"] == {"value": 1, "low": 0.5, "high": 2}
    assert parts["network_wh"] == {"value": 10, "low": 2, "high": 60}
    assert energy.total_wh.as_dict() == {"value": 15, "low": 4.5, "high": 70}
    assert energy.method == "estimated" and energy.compute_method == "model"
    co2 = energy.co2e_g(Band(value=50, low=30, high=80))
    assert co2.as_dict() == {"value": 0.75, "low": 0.135, "high": 5.6}


def test_pue_multiplies_compute_only() -> None:
    params = ModelParams(pue=Band(value=1.5, low=1.2, high=2))
    energy = estimate(Usage(wall_s=0, cpu_s=3600, peak_rss_bytes=0, net_bytes=10**9), params)
    assert energy.components["cpu_wh"].value == pytest.approx(6.0)
    assert energy.components["network_wh"].value == pytest.approx(10.0)


def test_rapl_reading_is_measured_with_its_band() -> None:
    params = ModelParams(rapl_relative_uncertainty=0.1)
    energy = estimate(Usage(wall_s=1, cpu_s=1, peak_rss_bytes=0, rapl_joules=3600.0), params)
    assert energy.method == "measured"
    assert energy.total_wh.as_dict() == {"value": 1, "low": 0.9, "high": 1.1}
    mixed = estimate(Usage(wall_s=1, cpu_s=1, peak_rss_bytes=0, net_bytes=1000, rapl_joules=3600.0), params)
    assert mixed.method == "measured+estimated"


def test_storage_per_month() -> None:
    per_month = storage_wh_per_month(10**9, ModelParams())
    assert per_month.value == pytest.approx(1.1)
    assert per_month.low < per_month.value < per_month.high


def test_carbon_table_is_versioned_and_french_by_default() -> None:
    table = carbon_table()
    assert table["version"] and table["unit"] == "gCO2e/kWh"
    for zone in table["zones"].values():
        assert zone["low"] <= zone["value"] <= zone["high"] and zone["sources"]
    value, label = intensity(load_policy({}))
    assert value.value == table["zones"]["FR"]["value"] and label.startswith("FR (table ")


def test_deployment_intensity_and_bad_policies() -> None:
    policy = load_policy(
        {
            "footprint": {
                "intensity": {"value": 20, "low": 15, "high": 30},
                "intensity_source": "contrat 100 % renouvelable",
            }
        }
    )
    value, label = intensity(policy)
    assert value.value == 20 and "contrat" in label
    with pytest.raises(ConfigError, match=r"unknown footprint\.grid"):
        load_policy({"footprint": {"grid": "ATLANTIS"}})
    with pytest.raises(ConfigError, match=r"footprint\.model\.cpu_w_per_core: expected 0 <= low") as err:
        load_policy({"footprint": {"model": {"cpu_w_per_core": {"value": 4, "low": 5, "high": 8}}}})
    assert err.value.hint


@pytest.mark.parametrize(
    "usage",
    [
        Usage(wall_s=0.001159, cpu_s=0.001163, peak_rss_bytes=259_940_352),
        Usage(wall_s=12.7, cpu_s=31.3, peak_rss_bytes=3 * 10**9 + 17, net_bytes=123_456_789),
        Usage(wall_s=0.0, cpu_s=0.0, peak_rss_bytes=0),
        Usage(wall_s=1 / 3, cpu_s=2 / 7, peak_rss_bytes=10**6, net_bytes=1, rapl_joules=None),
    ],
)
def test_estimate_has_the_bits_of_the_band_arithmetic(usage: Usage) -> None:
    """The meter's estimate skips the intermediate bands; its figures keep the very bits of the
    band arithmetic the model is written in (records stay comparable from one version to the next)."""
    params = ModelParams(pue=Band(value=1.3, low=1.1, high=1.7))
    cpu = params.cpu_w_per_core.scale(usage.cpu_s / 3600).times(params.pue)
    memory = params.memory_w_per_gb.scale(usage.peak_rss_bytes / 1e9 * usage.wall_s / 3600).times(params.pue)
    parts = [cpu, memory] + ([params.network_kwh_per_gb.scale(usage.net_bytes / 1e9 * 1000)] if usage.net_bytes else [])
    total = Band.exact(0.0)
    for part in parts:
        total = total + part
    grid = Band(value=52, low=32, high=79)
    energy = estimate(usage, params)
    assert list(energy.components.values()) == parts
    assert energy.total_wh == total
    assert energy.co2e_g(grid) == total.scale(1e-3).times(grid)


@pytest.mark.parametrize(
    "usage",
    [
        Usage(wall_s=0.001159, cpu_s=0.001163, peak_rss_bytes=259_940_352),
        Usage(wall_s=12.7, cpu_s=31.3, peak_rss_bytes=3 * 10**9 + 17),
        Usage(wall_s=0.0, cpu_s=0.0, peak_rss_bytes=0),
        Usage(wall_s=1 / 3, cpu_s=2 / 7, peak_rss_bytes=10**6),
        *(Usage(wall_s=i * 0.000317, cpu_s=i * 0.000291, peak_rss_bytes=2**20 * (200 + i)) for i in range(1, 40)),
    ],
)
def test_a_step_model_gives_the_text_of_the_band_arithmetic(usage: Usage) -> None:
    """The meter's per-step figures (``StepModel``, no energy counter, no network) are the very
    text ``describe(estimate(...))`` gives, and its unrounded total the estimate's."""
    params = ModelParams(pue=Band(value=1.3, low=1.1, high=1.7))
    grid = Band(value=52, low=32, high=79)
    as_json = intensity_json(grid, "FR (table test)")
    energy = estimate(usage, params)
    figures, total_wh = StepModel(params, grid, as_json).describe(usage.wall_s, usage.cpu_s, usage.peak_rss_bytes)
    assert json.dumps(figures) == json.dumps(describe(energy, grid, as_json))
    assert total_wh == energy.total_wh.value
    assert figures["intensity"] == as_json and figures["intensity"] is not as_json  # each record its own


_bound = st.floats(min_value=0, max_value=1e6, allow_nan=False)
_band = st.tuples(_bound, _bound, _bound).map(lambda t: dict(zip(("low", "value", "high"), sorted(t), strict=True)))
_footprint = st.fixed_dictionaries(
    {},
    optional={
        "energy_wh": _band,
        "co2e_g": _band,
        "pack": st.sampled_from(["a", "b", None]),
        "avoided": st.fixed_dictionaries({}, optional={"energy_wh": _band, "co2e_g": _band}),
    },
)


@given(st.lists(_footprint, max_size=30))
def test_step_totals_are_the_sums_of_the_bands_bit_for_bit(footprints: list[dict[str, object]]) -> None:
    """``step_totals`` adds floats rather than bands (a run's end adds four bands per step): the
    same additions in the same order, so the same bits as summing ``band_of`` of each."""
    zero = Band.exact(0.0)
    energy = co2e = avoided_wh = avoided_co2e = zero
    per_pack: dict[str, float] = {}
    for fp in footprints:
        avoided = fp.get("avoided") or {}
        energy, co2e = energy + band_of(fp.get("energy_wh")), co2e + band_of(fp.get("co2e_g"))  # type: ignore[arg-type]
        avoided_wh = avoided_wh + band_of(avoided.get("energy_wh"))  # type: ignore[attr-defined]
        avoided_co2e = avoided_co2e + band_of(avoided.get("co2e_g"))  # type: ignore[attr-defined]
        pack = str(fp.get("pack") or "(workspace)")
        per_pack[pack] = per_pack.get(pack, 0.0) + band_of(fp.get("energy_wh")).value  # type: ignore[arg-type]
    totals = step_totals(footprints)
    assert (totals.energy_wh, totals.co2e_g) == (energy, co2e)
    assert (totals.avoided_wh, totals.avoided_co2e_g) == (avoided_wh, avoided_co2e)
    assert totals.per_pack_wh == per_pack and list(totals.per_pack_wh) == list(per_pack)
