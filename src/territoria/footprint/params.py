"""The footprint model's parameters and policies, read from the ``footprint:`` block of ``policies.yaml``.

Every coefficient is a :class:`Band` (central value, low, high). The low and high bounds are
propagated through the arithmetic so that every figure carries its uncertainty band. Defaults
and where they come from are documented in ``docs/footprint.md``; the block's model is declared
with the rest of ``policies.yaml`` in ``workspace/policies.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files
from typing import Any

from territoria.core.band import ZERO, Band, band
from territoria.core.errors import ConfigError
from territoria.workspace.policies import (
    METER_ENV,
    Budget,
    Cadence,
    FootprintPolicy,
    ModelParams,
    Policies,
    as_policies,
)

__all__ = [
    "METER_ENV",
    "ZERO",
    "Band",
    "Budget",
    "Cadence",
    "FootprintPolicy",
    "ModelParams",
    "band",
    "carbon_table",
    "intensity",
    "load_policy",
]


def load_policy(policies: Policies | Mapping[str, Any] | None) -> FootprintPolicy:
    """The ``footprint:`` block, its grid checked against the shipped carbon-intensity table."""
    policy = as_policies(policies).footprint
    if policy.intensity is None and policy.grid not in carbon_table()["zones"]:
        raise ConfigError(
            f"unknown footprint.grid {policy.grid!r} in policies.yaml",
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
