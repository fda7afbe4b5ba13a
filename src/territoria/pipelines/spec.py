"""Steps and datasets as data.

A step reads datasets and writes datasets; the DAG is derived from those names. Each dataset
lives in one layer, and each layer is a schema of the store. A step is an immutable node that
carries what its kind needs (a catalog entry, SQL, an indicator definition); what it does is
its kind's handler's (``pipelines/steps.py``, registry group ``territoria.steps``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Literal

from territoria.catalog.model import DatasetEntry
from territoria.core.errors import ConfigError
from territoria.core.hashing import stable_hash
from territoria.core.vocab import AccessLevel
from territoria.engines.base import SqlExpression, quote_ident, quote_literal
from territoria.indicators.definition import IndicatorDef

Layer = Literal["staging", "model", "indicator", "published"]

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
    #: the French public summary of a model (sources and indicators carry their own)
    summary: str = ""

    # Both are read several times a step (the runner's commit, its fingerprints, every ref() of
    # a model's SQL): computed once per dataset, which is frozen (a plan from the cache keeps them).
    @cached_property
    def schema(self) -> str:
        return LAYER_SCHEMAS[self.layer]

    @cached_property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


@dataclass(frozen=True, kw_only=True)
class Step:
    #: the name of the kind's handler in the ``territoria.steps`` group
    kind: ClassVar[str]
    id: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    #: what the step's input key hashes: a change reruns it
    definition: Mapping[str, Any]
    pack: str | None = None

    @cached_property
    def definition_hash(self) -> str:
        # a step is frozen: hashed once per plan, and kept with the plan in its cache file
        return stable_hash(dict(self.definition))

    def check(self, datasets: dict[str, DatasetInfo]) -> None:
        """Refuse at plan time what would fail mid-run (nothing to check for most kinds)."""


@dataclass(frozen=True, kw_only=True)
class IngestStep(Step):
    """Fetch a catalog entry's source, validate it, and load it into staging."""

    kind: ClassVar[str] = "ingest"
    entry: DatasetEntry


@dataclass(frozen=True, kw_only=True)
class SqlStep(Step):
    """A step whose SQL reads datasets with ``ref('...')`` and the pack's ``param('...')``."""

    sql: str
    params: Mapping[str, Any]

    def render(self, datasets: dict[str, DatasetInfo]) -> str:
        # Rendered at plan time, then by the runner at every run: the text depends only on the
        # infos its refs name (frozen, shared by every copy of a cached plan), so it is kept with
        # the step while the same infos are given.
        memo = self.__dict__.get("_rendered")
        if memo is not None and all(datasets.get(name) is info for name, info in memo[0]):
            return str(memo[1])
        sql = render_sql(self.sql, datasets, dict(self.params), self.id)
        self.__dict__["_rendered"] = (tuple((name, datasets[name]) for name in sql_refs(self.sql)), sql)
        return sql

    def check(self, datasets: dict[str, DatasetInfo]) -> None:
        self.render(datasets)  # unknown refs or params fail at plan time, not in the middle of a run


@dataclass(frozen=True, kw_only=True)
class ModelStep(SqlStep):
    kind: ClassVar[str] = "model"


@dataclass(frozen=True, kw_only=True)
class IndicatorStep(SqlStep):
    kind: ClassVar[str] = "indicator"
    indicator: IndicatorDef


@dataclass(frozen=True, kw_only=True)
class PublishStep(Step):
    """Copy a dataset into ``published``, through its secrecy guard."""

    kind: ClassVar[str] = "publish"


def sql_refs(sql: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(REF.findall(sql)))


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
        if isinstance(value, SqlExpression):
            return f"({value})"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, list):
            return "[" + ", ".join(quote_literal(str(v)) if isinstance(v, str) else repr(v) for v in value) + "]"
        return quote_literal(str(value))

    return PARAM.sub(param, REF.sub(ref, sql))
