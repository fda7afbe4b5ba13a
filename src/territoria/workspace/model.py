"""Typed contents of ``territory.yaml``."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    #: a pack folder of the workspace's own (relative to the workspace), instead of an installed pack
    path: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


#: the mesh of a territory that is no EPCI (``territoria init --communes``)
TERRITORY_MESH = "territoire"


class TerritoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    slug: str
    epci: str | None = None
    epci_name: str | None = None
    communes: list[str]
    meshes: list[str] = Field(default_factory=lambda: ["commune", "epci"])
    engine: str = "duckdb"
    engine_options: dict[str, Any] = Field(default_factory=dict)
    vintages: dict[str, str] = Field(default_factory=dict)
    packs: dict[str, PackConfig] = Field(default_factory=dict)
    communes_without_boundary: list[str] = Field(default_factory=list)
    #: the address the API is reached at behind a proxy (``api/origin.py``); links are built from it
    public_url: str | None = None

    @field_validator("communes", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        """A code typed without quotes is a number to YAML: 35238 is read back as the code it is,
        but 01001 is the octal number 513, so a number of fewer than 5 digits says to quote it."""
        if not isinstance(value, list):
            return value
        for item in value:
            if isinstance(item, int) and not 10000 <= item <= 99999:
                raise ValueError(
                    f"{item} is a number, not a commune code: write the codes between quotes ('01001'); "
                    "unquoted, YAML reads 01001 as the octal number 513"
                )
        return [str(item) if isinstance(item, int) else item for item in value]

    @field_validator("communes")
    @classmethod
    def _some_communes(cls, value: list[str]) -> list[str]:
        """No commune is no territory: every step would read an empty extract (an internal error
        of the referential step, before). A code listed twice is most likely a typo for another
        commune, which the territory then lacks."""
        if not value:
            raise ValueError(
                "the territory has no commune: list their INSEE codes, or write the file again with "
                "`territoria init DIR --force --epci SIREN` (or --communes, --departement, --region)"
            )
        if len(set(value)) < len(value):
            twice = sorted(code for code, n in Counter(value).items() if n > 1)
            raise ValueError(f"listed more than once: {', '.join(twice)}; keep one of each")
        return value

    @field_validator("public_url")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        example = "write the address users type, e.g. https://data.example.fr or https://example.fr/territoria"
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018  # raises on a port that is not a number
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an address ({exc}): {example}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} needs http:// or https:// and a host: {example}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{value!r} holds a query, a fragment or credentials: {example}")
        return parts.geturl().rstrip("/")

    @property
    def mesh(self) -> str:
        """The mesh of the rows that summarise the whole territory: its EPCI's, or ``territoire``
        for a territory made of communes (which is no EPCI, and has no SIREN)."""
        return "epci" if self.epci else TERRITORY_MESH

    @property
    def code(self) -> str:
        """The code of those rows: the EPCI's SIREN, or the territory's slug (written once, at init)."""
        return self.epci or self.slug
