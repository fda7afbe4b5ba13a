"""Steps and datasets as data.

A step reads datasets and writes datasets; the DAG is derived from those names. Each dataset
lives in one layer, and each layer is a schema of the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from territoria.catalog.model import DatasetEntry
from territoria.core.errors import ConfigError
from territoria.core.hashing import stable_hash
from territoria.core.vocab import AccessLevel
from territoria.engines.base import quote_ident, quote_literal
from territoria.indicators.definition import IndicatorDef

Layer = Literal["staging", "model", "indicator", "published"]
StepKind = Literal["ingest", "model", "indicator", "publish"]

LAYER_SCHEMAS: dict[str, str] = {
    "staging": "staging",
    "model": "model",
    "indicator": "indicator",
    "published": "published",
    "quarantine": "quarantine",
}

# ``ref('published.x')`` reads the secrecy-protected copy of ``x`` (what downstream steps should read).
REF = re.compile(r"""\bref\(\s*['"]((?:published\.)?[A-Za-z0-9_\-]+)['"]\s*\)""")
PARAM = re.compile(r"""\bparam\(\s*['"]([A-Za-z0-9_\-.]+)['"]\s*\)""")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    layer: str
    title: str
    access: AccessLevel = AccessLevel.open
    pack: str | None = None
    secrecy: str | None = None
    publish: bool = False

    @property
    def schema(self) -> str:
        return LAYER_SCHEMAS[self.layer]

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


@dataclass
class Step:
    id: str
    kind: StepKind
    inputs: list[str]
    outputs: list[str]
    definition: dict[str, Any]
    entry: DatasetEntry | None = None
    indicator: IndicatorDef | None = None
    sql: str | None = None
    pack: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def definition_hash(self) -> str:
        return stable_hash(self.definition)


def sql_refs(sql: str) -> list[str]:
    return list(dict.fromkeys(REF.findall(sql)))


def render_sql(sql: str, datasets: dict[str, DatasetInfo], params: dict[str, Any], where: str) -> str:
    def ref(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in datasets:
            raise ConfigError(
                f"{where} refers to unknown dataset {name!r}",
                hint="check ref('...') names against `territoria catalog list`",
            )
        return datasets[name].qualified

    def param(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            raise ConfigError(
                f"{where} uses parameter {key!r}, which the pack does not define",
                hint="add it under the pack's parameters in territory.yaml",
            )
        value = params[key]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, list):
            return "[" + ", ".join(quote_literal(str(v)) if isinstance(v, str) else repr(v) for v in value) + "]"
        return quote_literal(str(value))

    return PARAM.sub(param, REF.sub(ref, sql))
