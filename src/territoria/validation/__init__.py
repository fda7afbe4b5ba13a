"""Table Schema validation in SQL: valid rows to staging, the others to quarantine with reasons."""

from territoria.validation.tableschema import ValidationOutcome, validate_relation

__all__ = ["ValidationOutcome", "validate_relation"]
