"""An indicator definition: formula (SQL), unit, meshes, inputs, secrecy rule and tests.

The SQL returns one row per value with at least ``mesh``, ``code``, ``libelle``, ``period`` and
``value``; optional breakdown columns (``sector``, ``energy``...) and quality columns
(``masked_share``, ``estimated_share``, ``completeness``). The runner adds the indicator's id,
version and unit, checks the tests, and publishes nothing if one fails.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.core.vocab import AccessLevel

REQUIRED_COLUMNS = ("mesh", "code", "libelle", "period", "value")


class IndicatorTest(BaseModel):
    """One test of an indicator's values; ``kind`` names a plugin of the ``territoria.indicator_tests``
    group (built in: not_null, min, max, unique, rows_min, expression), which says which keys it needs."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    column: str = "value"
    value: float | None = None
    columns: list[str] = Field(default_factory=list)
    #: for ``expression``: a SQL boolean that must hold on every row
    sql: str | None = None

    @model_validator(mode="after")
    def _known_and_complete(self) -> IndicatorTest:
        # an unknown kind is a ConfigError with the close names (the registry's), not a pydantic message
        needs: tuple[str, ...] = registry.get("territoria.indicator_tests", self.kind).needs
        missing = [key for key in needs if getattr(self, key) in (None, [])]
        if missing:
            raise ConfigError(
                f"indicator test {self.kind!r} needs {', '.join(missing)}",
                hint=f"add `{missing[0]}:` to the test in the pack's pack.yaml",
            )
        return self


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
