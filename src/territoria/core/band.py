"""A non-negative quantity with its uncertainty band (central value, low, high).

The footprint's coefficients and figures are bands; it lives in core because ``policies.yaml``
(read by the workspace layer, below footprint) declares coefficients as bands.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ConfigDict


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
