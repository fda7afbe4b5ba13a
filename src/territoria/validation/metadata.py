"""Metadata left at a placeholder: ``sources add`` refuses it, a run warns about it.

A dataset whose licence or publisher nobody filled in cannot be republished lawfully, and the
catalog feed would advertise "(à compléter)" to every portal that harvests it.
"""

from __future__ import annotations

from typing import Any

from territoria.catalog.model import DatasetEntry
from territoria.connectors.propose import PLACEHOLDER

#: licence and publisher values that say nothing (what a template or a portal left in)
PLACEHOLDERS = {
    "",
    PLACEHOLDER.lower(),
    "à compléter",
    "a completer",
    "todo",
    "tbd",
    "unknown",
    "inconnu",
    "n/a",
    "none",
    "other",
    "notspecified",
    "license not specified",
    "other-unspecified",
    "xxx",
    "-",
    "?",
}


def placeholders(entry: dict[str, Any]) -> list[str]:
    """The names of the metadata (``licence``, ``publisher``) still at a placeholder."""
    publisher = entry.get("publisher")
    name = publisher.get("name") if isinstance(publisher, dict) else publisher
    values = {"licence": entry.get("licence"), "publisher": name}
    return [k for k, v in values.items() if str(v or "").strip().lower() in PLACEHOLDERS]


def placeholder_warnings(entry: DatasetEntry) -> list[str]:
    """The warnings of a run's ingest step."""
    data = {"licence": entry.licence, "publisher": {"name": entry.publisher.name}}
    return [
        f"the {m} of {entry.identifier!r} is left at a placeholder: fill it in sources/{entry.identifier}.yaml"
        for m in placeholders(data)
    ]
