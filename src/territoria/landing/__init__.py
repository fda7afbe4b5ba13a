"""The landing area: raw inputs, immutable and content-addressed, kept before any parsing."""

from territoria.landing.store import LandedObject, Landing

__all__ = ["LandedObject", "Landing"]
