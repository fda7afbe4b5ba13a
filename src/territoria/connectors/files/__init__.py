"""Local files inside the workspace."""

from territoria.connectors.files.connector import FileConnector, FileOptions

__all__ = ["FileConnector", "FileOptions"]
