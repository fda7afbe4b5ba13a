"""The footprint model's parameters and policies, read from the ``footprint:`` block of ``policies.yaml``.

Every coefficient is a :class:`Band` (central value, low, high). The low and high bounds are
propagated through the arithmetic so that every figure carries its uncertainty band. Defaults
and where they come from are documented in ``docs/footprint.md``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from territoria.core.errors import ConfigError

#: the switch that turns the meter off for one process (benchmarks, debugging)
METER_ENV = "TERRITORIA_FOOTPRINT_METER"


@dataclass(frozen=True)
class Band:
    """A non-negative quantity with its uncertainty: central value, low and high bounds.

    A plain dataclass (pydantic validates it inside the policy models): the meter builds a few
    dozen around every step, so it must be cheap.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")

    value: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (0 <= self.low <= self.value <= self.high):
            raise ValueError(f"expected 0 <= low <= value <= high, got {self.low}, {self.value}, {self.high}")

    @classmethod
    def exact(cls, value: float) -> Band:
        return cls(value, value, value)

    def __add__(self, other: Band) -> Band:
        return Band(self.value + other.value, self.low + other.low, self.high + other.high)

    def scale(self, factor: float) -> Band:
        """Multiply by an exact, non-negative quantity (a duration, a byte count...)."""
        return Band(self.value * factor, self.low * factor, self.high * factor)

    def times(self, other: Band) -> Band:
        """Product of two uncertain non-negative quantities: bounds multiply with bounds."""
        return Band(self.value * other.value, self.low * other.low, self.high * other.high)

    def as_dict(self, digits: int = 9) -> dict[str, float]:
        return {"value": round(self.value, digits), "low": round(self.low, digits), "high": round(self.high, digits)}


ZERO = Band.exact(0.0)


def band(value: float, low: float, high: float) -> Band:
    return Band(value, low, high)


class ModelParams(BaseModel):
    """Coefficients of the estimate (used when no energy counter is readable)."""

    model_config = ConfigDict(extra="forbid")

    #: W drawn per fully busy core (codecarbon's fallback is 4 W per thread)
    cpu_w_per_core: Band = band(4.0, 2.0, 8.0)
    #: W per GB of resident memory, charged for the step's wall time
    memory_w_per_gb: Band = band(0.375, 0.25, 0.6)
    #: data-centre power usage effectiveness (1.0 = the server's own draw only)
    pue: Band = band(1.0, 1.0, 1.0)
    #: kWh per GB transferred over the network, end to end
    network_kwh_per_gb: Band = band(0.01, 0.002, 0.06)
    #: kWh per GB stored for one month (disk, redundancy and cooling)
    storage_kwh_per_gb_month: Band = band(0.0011, 0.0004, 0.003)
    #: relative uncertainty of a RAPL reading (package and DRAM domains only, whole machine)
    rapl_relative_uncertainty: float = Field(0.15, ge=0, le=1)


class Cadence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: do not re-check a source before its declared frequency has elapsed (`--check-all` overrides)
    respect_frequency: bool = False
    #: connector kinds whose check is free (a file's size and mtime): always checked
    exempt_kinds: list[str] = Field(default_factory=lambda: ["file", "referential"])


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Wh per run (central estimate) beyond which the run carries a warning
    run_wh: float | None = Field(None, gt=0)
    #: Wh per run and per pack (use case)
    pack_wh: dict[str, float] = Field(default_factory=dict)
    #: Wh per month for a dataset or indicator, checked by `territoria footprint`
    monthly_wh: dict[str, float] = Field(default_factory=dict)


class FootprintPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter: bool = True
    #: also run codecarbon's offline tracker over each run, as a cross-check (needs the extra)
    codecarbon: bool = False
    #: carbon-intensity zone of the shipped table (FR, EU27, DE, WORLD)
    grid: str = "FR"
    #: a deployment's own intensity (gCO2e/kWh), e.g. from its supplier's contract; wins over `grid`
    intensity: Band | None = None
    intensity_source: str | None = None
    model: ModelParams = Field(default_factory=ModelParams)
    cadence: Cadence = Field(default_factory=Cadence)
    budget: Budget = Field(default_factory=Budget)

    @property
    def enabled(self) -> bool:
        flag = os.environ.get(METER_ENV, "").strip().lower()
        if flag in ("0", "off", "false", "no"):
            return False
        return self.meter


def load_policy(policies: dict[str, Any]) -> FootprintPolicy:
    try:
        policy = FootprintPolicy.model_validate(policies.get("footprint") or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigError(
            f"policies.yaml: the footprint block is invalid: {problems}",
            hint="see docs/footprint.md for the keys and their units",
        ) from exc
    if policy.intensity is None and policy.grid not in carbon_table()["zones"]:
        raise ConfigError(
            f"policies.yaml: unknown footprint.grid {policy.grid!r}",
            hint=f"use one of {', '.join(carbon_table()['zones'])}, or set footprint.intensity (gCO2e/kWh)",
        )
    return policy


@lru_cache(maxsize=1)
def carbon_table() -> dict[str, Any]:
    text = files("territoria.footprint").joinpath("data/carbon_intensity.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def intensity(policy: FootprintPolicy) -> tuple[Band, str]:
    """Grid carbon intensity (gCO2e/kWh) and a label saying where it comes from."""
    if policy.intensity is not None:
        return policy.intensity, f"deployment ({policy.intensity_source or 'policies.yaml'})"
    table = carbon_table()
    zone = table["zones"][policy.grid]
    return band(zone["value"], zone["low"], zone["high"]), f"{policy.grid} (table {table['version']})"
