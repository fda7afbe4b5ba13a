"""From resource usage to energy (Wh) and emissions (gCO2e), each with its band.

The estimate (no energy counter readable)::

    compute Wh = PUE × (CPU s × W per core + peak RSS GB × W per GB × wall s) / 3600
    network Wh = GB transferred × kWh per GB × 1000
    gCO2e      = Wh / 1000 × grid intensity (gCO2e/kWh)

With RAPL counters the compute term is the counters' difference (whole machine, package and
DRAM) instead, and the figure is labelled measured. Network and storage are always estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from territoria.footprint.params import ZERO, Band, ModelParams

GB = 1e9


class Usage(NamedTuple):
    """What a step or a run used (a tuple: the meter builds one after every step)."""

    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    net_bytes: int = 0
    #: energy read from RAPL counters over the same interval, when they are readable
    rapl_joules: float | None = None


class Energy(NamedTuple):
    method: str
    compute_method: str
    total_wh: Band
    components: dict[str, Band]

    def co2e_g(self, intensity: Band) -> Band:
        t = self.total_wh
        # the arithmetic of ``total_wh.scale(1e-3).times(intensity)``, without the Band in between
        return Band(t.value * 1e-3 * intensity.value, t.low * 1e-3 * intensity.low, t.high * 1e-3 * intensity.high)


def _scaled(coefficient: Band, factor: float, pue: Band) -> Band:
    """``coefficient.scale(factor).times(pue)``, same operations in the same order (so the same
    bits), one Band instead of two: this runs after every step."""
    return Band(
        coefficient.value * factor * pue.value, coefficient.low * factor * pue.low, coefficient.high * factor * pue.high
    )


def compute_wh(usage: Usage, params: ModelParams) -> tuple[str, dict[str, Band]]:
    if usage.rapl_joules is not None:
        u = params.rapl_relative_uncertainty
        wh = usage.rapl_joules / 3600
        measured = Band(wh, wh * (1 - u), wh * (1 + u))
        return "rapl", {"rapl_wh": measured.times(params.pue)}
    cpu = _scaled(params.cpu_w_per_core, usage.cpu_s / 3600, params.pue)
    memory = _scaled(params.memory_w_per_gb, usage.peak_rss_bytes / GB * usage.wall_s / 3600, params.pue)
    return "model", {"cpu_wh": cpu, "memory_wh": memory}


def network_wh(net_bytes: int, params: ModelParams) -> Band:
    return params.network_kwh_per_gb.scale(net_bytes / GB * 1000) if net_bytes > 0 else ZERO


def storage_wh_per_month(stored_bytes: int, params: ModelParams) -> Band:
    return params.storage_kwh_per_gb_month.scale(stored_bytes / GB * 1000) if stored_bytes > 0 else ZERO


def estimate(usage: Usage, params: ModelParams) -> Energy:
    compute_method, components = compute_wh(usage, params)
    if usage.net_bytes > 0:
        components["network_wh"] = network_wh(usage.net_bytes, params)
    # the sum ZERO + part + part..., bound by bound in the same order, one Band at the end
    value = low = high = 0.0
    for part in components.values():
        value, low, high = value + part.value, low + part.low, high + part.high
    method = "estimated"
    if compute_method == "rapl":
        method = "measured+estimated" if usage.net_bytes > 0 else "measured"
    return Energy(method, compute_method, Band(value, low, high), components)


def intensity_json(intensity: Band, intensity_label: str) -> dict[str, Any]:
    """The grid intensity as records show it (the same for every step of a run: built once)."""
    return {**intensity.as_dict(3), "source": intensity_label}


def describe(energy: Energy, intensity: Band, intensity_as_json: dict[str, Any]) -> dict[str, Any]:
    """The JSON attached to step and run records; ``intensity_as_json`` is ``intensity_json``'s
    (copied: each record gets its own)."""
    return {
        "method": energy.method,
        "compute": "RAPL counters (whole machine)" if energy.compute_method == "rapl" else "CPU-time and memory model",
        "energy_wh": energy.total_wh.as_dict(),
        "components": {k: v.as_dict() for k, v in energy.components.items()},
        "co2e_g": energy.co2e_g(intensity).as_dict(),
        "intensity": dict(intensity_as_json),
    }


class StepModel:
    """``describe(estimate(usage, params), intensity, ...)`` for a step that read no energy
    counter and moved nothing over the network (nearly every step): the run's coefficients are
    unpacked once, and a step's figures are computed with the same operations in the same order
    as the band arithmetic (so the same bits), without the bands and dicts in between. This runs
    after every step; the band arithmetic costs about twice as much."""

    def __init__(self, params: ModelParams, intensity: Band, intensity_as_json: dict[str, Any]) -> None:
        self.cpu = (params.cpu_w_per_core.value, params.cpu_w_per_core.low, params.cpu_w_per_core.high)
        self.memory = (params.memory_w_per_gb.value, params.memory_w_per_gb.low, params.memory_w_per_gb.high)
        self.pue = (params.pue.value, params.pue.low, params.pue.high)
        self.intensity = (intensity.value, intensity.low, intensity.high)
        self.intensity_json = intensity_as_json

    def describe(self, wall_s: float, cpu_s: float, peak_rss_bytes: int) -> tuple[dict[str, Any], float]:
        """The step's figures and its energy in Wh (not rounded: what a skip saved is computed from it)."""
        (cv, cl, ch), (mv, ml, mh), (pv, pl, ph), (iv, il, ih) = self.cpu, self.memory, self.pue, self.intensity
        f = cpu_s / 3600  # as ``compute_wh``: ``_scaled(coefficient, factor, pue)`` of each term
        cv, cl, ch = cv * f * pv, cl * f * pl, ch * f * ph
        f = peak_rss_bytes / GB * wall_s / 3600
        mv, ml, mh = mv * f * pv, ml * f * pl, mh * f * ph
        tv, tl, th = 0.0 + cv + mv, 0.0 + cl + ml, 0.0 + ch + mh  # as ``estimate``'s sum
        figures = {
            "method": "estimated",
            "compute": "CPU-time and memory model",
            "energy_wh": {"value": round(tv, 9), "low": round(tl, 9), "high": round(th, 9)},
            "components": {
                "cpu_wh": {"value": round(cv, 9), "low": round(cl, 9), "high": round(ch, 9)},
                "memory_wh": {"value": round(mv, 9), "low": round(ml, 9), "high": round(mh, 9)},
            },
            # as ``Energy.co2e_g``
            "co2e_g": {
                "value": round(tv * 1e-3 * iv, 9),
                "low": round(tl * 1e-3 * il, 9),
                "high": round(th * 1e-3 * ih, 9),
            },
            "intensity": dict(self.intensity_json),
        }
        return figures, tv


def band_of(data: dict[str, Any] | None) -> Band:
    """Read back a band written by :meth:`Band.as_dict` (missing means zero)."""
    if not data:
        return ZERO
    return Band(float(data["value"]), float(data["low"]), float(data["high"]))


@dataclass
class StepTotals:
    """What a run's step footprints add up to: energy and CO2e, energy per pack, and the work
    the skipped steps avoided (their previous real cost)."""

    energy_wh: Band = ZERO
    co2e_g: Band = ZERO
    per_pack_wh: dict[str, float] = field(default_factory=dict)
    avoided_wh: Band = ZERO
    avoided_co2e_g: Band = ZERO


def step_totals(footprints: Iterable[Mapping[str, Any]]) -> StepTotals:
    """The sums of step footprints (``meter.step_footprint``'s dicts; a step outside any pack
    counts for ``(workspace)``).

    Each bound is summed as a float, in the footprints' order, from ``ZERO``: the same additions
    as ``Band.__add__`` of ``band_of`` each (so the same bits), without the four bands a step
    costs to build and check; this runs at the end of every run, once per step."""
    per_pack: dict[str, float] = {}
    # energy, CO2e, avoided energy, avoided CO2e: (value, low, high) each
    sums = [[0.0, 0.0, 0.0] for _ in range(4)]
    for fp in footprints:
        avoided = fp.get("avoided") or {}
        for total, data in zip(
            sums, (fp.get("energy_wh"), fp.get("co2e_g"), avoided.get("energy_wh"), avoided.get("co2e_g")), strict=True
        ):
            if data:  # ``band_of``: missing means zero, and adding 0.0 leaves a sum as it is
                total[0] += float(data["value"])
                total[1] += float(data["low"])
                total[2] += float(data["high"])
        pack = fp.get("pack") or "(workspace)"
        energy = fp.get("energy_wh")
        per_pack[pack] = per_pack.get(pack, 0.0) + (float(energy["value"]) if energy else 0.0)
    energy_wh, co2e_g, avoided_wh, avoided_co2e_g = (Band(*total) for total in sums)
    return StepTotals(energy_wh, co2e_g, per_pack, avoided_wh, avoided_co2e_g)
