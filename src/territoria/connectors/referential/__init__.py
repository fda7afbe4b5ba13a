"""The national referential shipped with the package, as a source like any other."""

from territoria.connectors.referential.connector import ReferentialConnector, ReferentialOptions

__all__ = ["ReferentialConnector", "ReferentialOptions"]
