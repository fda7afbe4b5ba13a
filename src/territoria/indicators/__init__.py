"""Indicators: versioned definitions and values with quality flags."""

from territoria.indicators.definition import IndicatorDef

__all__ = ["IndicatorDef"]
