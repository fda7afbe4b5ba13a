"""Shared vocabularies used across layers."""

from __future__ import annotations

from enum import StrEnum


class AccessLevel(StrEnum):
    """Who may read a dataset: anyone, named roles under the territory's rules, or only
    roles with a purpose recorded in the audit log (personal data)."""

    open = "open"
    restricted = "restricted"
    personal = "personal"


class Role(StrEnum):
    """Who a caller is; ``policies.yaml`` says which roles read each access level."""

    public = "public"
    agent = "agent"
    elu = "elu"
    partner = "partner"
    contractor = "contractor"
    admin = "admin"
