"""Optional cross-check with codecarbon, only ever through its offline tracker.

codecarbon's default ``EmissionsTracker`` looks the machine up on geolocation services and
probes the cloud metadata address (169.254.169.254); on a machine without network it then
silently picks another country's grid. territoria therefore only uses
``OfflineEmissionsTracker`` with an explicit country, and only when ``footprint.codecarbon``
is set in ``policies.yaml`` and the ``codecarbon`` extra is installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from territoria.core.errors import ConfigError

#: ISO 3166 alpha-3 code of each zone of the shipped carbon table that codecarbon knows
COUNTRIES = {"FR": "FRA", "DE": "DEU"}


class OfflineTracker:
    def __init__(self, grid: str) -> None:
        try:
            module = importlib.import_module("codecarbon")
        except ImportError as exc:
            raise ConfigError(
                "footprint.codecarbon is set but codecarbon is not installed",
                hint="pip install 'territoria[codecarbon]', or remove footprint.codecarbon from policies.yaml",
            ) from exc
        country = COUNTRIES.get(grid)
        if country is None:
            raise ConfigError(
                f"codecarbon's offline tracker needs a country; grid {grid!r} is not one",
                hint=f"use footprint.grid {' or '.join(COUNTRIES)} with footprint.codecarbon",
            )
        self.tracker: Any = module.OfflineEmissionsTracker(
            country_iso_code=country,
            tracking_mode="process",
            save_to_file=False,
            log_level="error",
        )
        self.tracker.start()

    def stop(self) -> dict[str, Any]:
        emissions_kg = self.tracker.stop() or 0.0
        data = getattr(self.tracker, "final_emissions_data", None)
        energy_kwh = float(getattr(data, "energy_consumed", 0.0) or 0.0)
        return {
            "tool": "codecarbon OfflineEmissionsTracker (estimate)",
            "energy_wh": round(energy_kwh * 1000, 9),
            "co2e_g": round(float(emissions_kg) * 1000, 9),
        }
