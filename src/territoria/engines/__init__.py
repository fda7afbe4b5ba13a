"""Storage and compute engines behind one small interface (see ``base.Engine``)."""

from territoria.engines.base import Capabilities, Engine
from territoria.engines.registry import open_engine

__all__ = ["Capabilities", "Engine", "open_engine"]
