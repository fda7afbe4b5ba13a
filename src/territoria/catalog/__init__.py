"""Dataset metadata (DCAT-AP shaped), Table Schemas, and the DCAT-AP export."""

from territoria.catalog.model import DatasetEntry, Field, SourceSpec, TableSchema
from territoria.core.vocab import AccessLevel

__all__ = ["AccessLevel", "DatasetEntry", "Field", "SourceSpec", "TableSchema"]
