"""Catalog entries: one YAML file per dataset in a workspace's ``sources/`` folder.

The keys follow DCAT-AP (identifier, title, description, publisher, licence, frequency,
temporal and spatial coverage) and the dataset's structure is a Frictionless Table Schema
(the format of schema.data.gouv.fr), so that an entry can be published as is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydField

from territoria.core.errors import ConfigError
from territoria.core.vocab import AccessLevel

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")

FieldType = Literal[
    "string", "integer", "number", "boolean", "date", "datetime", "year", "yearmonth", "geometry", "any", "object"
]

FREQUENCIES = {
    # DCAT-AP frequency vocabulary (EU Publications Office) -> days between publications
    "continuous": 0,
    "hourly": 1 / 24,
    "daily": 1,
    "weekly": 7,
    "monthly": 30,
    "quarterly": 91,
    "semiannual": 182,
    "annual": 365,
    "irregular": 365,
    "never": 100000,
}


class Constraints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool = False
    unique: bool = False
    minimum: float | str | None = None
    maximum: float | str | None = None
    minLength: int | None = None
    maxLength: int | None = None
    pattern: str | None = None
    enum: list[Any] | None = None


class Field(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    type: FieldType = "string"
    format: str | None = None
    title: str | None = None
    description: str | None = None
    unit: str | None = None
    constraints: Constraints = PydField(default_factory=Constraints)
    decimalChar: str = "."
    groupChar: str | None = None
    trueValues: list[str] = PydField(default_factory=lambda: ["true", "True", "TRUE", "1", "oui", "Oui", "OUI"])
    falseValues: list[str] = PydField(default_factory=lambda: ["false", "False", "FALSE", "0", "non", "Non", "NON"])
    #: values that mean "masked by statistical secrecy" (kept as masked, not parse errors)
    secretValues: list[str] = PydField(default_factory=list)
    #: personal data (``governance/personal``): ``pseudonymise`` a direct identifier (keyed HMAC at
    #: the landing door), ``drop`` it before staging (names, addresses), or mark an ``indirect`` one
    personal: Literal["pseudonymise", "drop", "indirect"] | None = None
    #: the column is in some of the producer's layouts only (e.g. the national file, not the API
    #: export): when a file lacks it, it is filled with nulls without a warning
    optional: bool = False

    @model_validator(mode="after")
    def _personal(self) -> Field:
        if self.personal == "pseudonymise":
            if self.type not in ("string", "any"):
                raise ValueError(
                    f"field {self.name!r}: a pseudonymised field is a string (its pseudonym), not {self.type}"
                )
            checked = [k for k in ("pattern", "enum", "minLength", "maxLength") if getattr(self.constraints, k)]
            if checked:
                raise ValueError(
                    f"field {self.name!r}: {', '.join(checked)} would be checked on the pseudonym, not the identifier; "
                    "remove them"
                )
        return self


class TableSchema(BaseModel):
    model_config = ConfigDict(extra="allow")

    fields: list[Field]
    primaryKey: list[str] | str | None = None
    missingValues: list[str] = PydField(default_factory=lambda: [""])

    @property
    def primary_key(self) -> list[str]:
        if self.primaryKey is None:
            return []
        return [self.primaryKey] if isinstance(self.primaryKey, str) else list(self.primaryKey)

    @model_validator(mode="after")
    def _check_names(self) -> TableSchema:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names in the schema: {', '.join(dupes)}")
        missing = [k for k in self.primary_key if k not in names]
        if missing:
            raise ValueError(f"primaryKey names unknown fields: {', '.join(missing)}")
        return self


class Publisher(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    uri: str | None = None


class Temporal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date | None = None
    end: date | None = None


class SourceSpec(BaseModel):
    """Where the data comes from. ``kind`` selects a connector; other keys are its options."""

    model_config = ConfigDict(extra="allow")

    kind: str
    #: the real, online location a user switches to (kept even when the demo uses a local file)
    upstream: dict[str, Any] | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class DatasetEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str
    title: str
    description: str = ""
    #: what the data is, in French for the public (catalogue, dashboard, DCAT); ``description``
    #: keeps the technical notes for the data team
    summary: str = ""
    publisher: Publisher
    licence: str
    licence_url: str | None = None
    frequency: str = "irregular"
    temporal: Temporal = PydField(default_factory=Temporal)
    spatial: str | None = None
    access: AccessLevel = AccessLevel.open
    keywords: list[str] = PydField(default_factory=list)
    themes: list[str] = PydField(default_factory=list)
    synthetic: bool = False
    landing_page: str | None = None
    source: SourceSpec
    schema_: TableSchema | None = PydField(default=None, alias="schema")
    publish: bool = False
    #: name of the secrecy rule set (policies.yaml or the pack) applied on publication
    secrecy: str | None = None
    pack: str | None = None
    #: what core code uses this dataset for (see ``ROLES``): it finds datasets by role, never by name
    role: str | None = None

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(
                "identifier must be lower-case letters, digits, '-' or '_' (at most 63), "
                "starting with a letter or digit"
            )
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return value

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: str) -> str:
        if value not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        return value


#: roles a dataset can declare; each is held by at most one dataset of a workspace
ROLES = {
    "boundaries": "commune boundaries (``code`` + ``geometry``): maps, OGC collections, GeoJSON joins",
    "referential": "the territory's communes (``code`` + ``nom``): names on maps",
}


def with_role(entries: Mapping[str, DatasetEntry], role: str) -> DatasetEntry | None:
    """The one dataset of ``entries`` that declares ``role``, or ``None``."""
    found = sorted(e.identifier for e in entries.values() if e.role == role)
    if len(found) > 1:
        raise ConfigError(
            f"datasets {', '.join(found)} all declare `role: {role}`",
            hint=f"keep `role: {role}` in one catalog entry ({ROLES[role]})",
        )
    return entries[found[0]] if found else None
