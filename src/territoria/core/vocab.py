"""Shared vocabularies used across layers."""

from __future__ import annotations

from enum import StrEnum


class AccessLevel(StrEnum):
    """Who may read a dataset: anyone, named roles under the territory's rules, or only
    roles with a purpose recorded in the audit log (personal data)."""

    open = "open"
    restricted = "restricted"
    personal = "personal"
