"""Dataset metadata (DCAT-AP shaped), Table Schemas, and the DCAT-AP export."""

from territoria.catalog.model import AccessLevel, DatasetEntry, Field, SourceSpec, TableSchema

__all__ = ["AccessLevel", "DatasetEntry", "Field", "SourceSpec", "TableSchema"]
