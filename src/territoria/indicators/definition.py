"""An indicator definition: formula (SQL), unit, meshes, inputs, secrecy rule and tests.

The SQL returns one row per value with at least ``mesh``, ``code``, ``libelle``, ``period`` and
``value``; optional breakdown columns (``sector``, ``energy``...) and quality columns
(``masked_share``, ``estimated_share``, ``completeness``). The runner adds the indicator's id,
version and unit, checks the tests, and publishes nothing if one fails.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from territoria.core.vocab import AccessLevel

REQUIRED_COLUMNS = ("mesh", "code", "libelle", "period", "value")


class IndicatorTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["not_null", "min", "max", "unique", "rows_min", "expression"]
    column: str = "value"
    value: float | None = None
    columns: list[str] = Field(default_factory=list)
    #: for ``expression``: a SQL boolean that must hold on every row
    sql: str | None = None


class IndicatorDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: int = 1
    title: str
    description: str = ""
    unit: str
    meshes: list[str] = Field(default_factory=lambda: ["commune", "epci"])
    sql: str
    formula: str = ""
    decimals: int = 1
    access: AccessLevel = AccessLevel.open
    secrecy: str | None = None
    higher_is_better: bool | None = None
    tests: list[IndicatorTest] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
