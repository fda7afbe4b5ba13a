"""territoria: a territorial data orchestrator for ecological-transition policies."""

__version__ = "0.1.0"
