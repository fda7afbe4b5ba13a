"""A LoRaWAN device profile for tests and benchmarks: the Dragino LHT65's temperature and humidity."""

from __future__ import annotations

from typing import Any

#: ``profiles:`` entry of ``sensors/devices.yaml`` (two observations per uplink)
LHT65_PROFILE: dict[str, Any] = {
    "decoder": "dragino_lht65",
    "sensor": {"name": "Dragino LHT65"},
    "measures": {
        "temperature": {"key": "TempC_SHT", "unit": "Cel", "min": -40.0, "max": 60.0},
        "humidity": {"key": "Hum_SHT", "unit": "%", "min": 0.0, "max": 100.0},
    },
}

__all__ = ["LHT65_PROFILE"]
