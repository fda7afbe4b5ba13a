"""The connector interface.

A connector knows how to reach one kind of source. It is given the source's options (the
``source:`` block of a catalog entry, validated by the connector's ``Options`` model), the
state it saved after the previous fetch, and the landing area. It must:

- decide whether the source changed **without downloading unchanged content** (conditional
  requests, portal ``modified`` dates, file size and mtime...);
- when it changed, stream the payload into the landing area (``ctx.landing.writer()``), so
  that an interrupted transfer never lands;
- return a ``FetchResult`` with the new state and a ``FetchRecord`` (no secrets in it).

Parsing the landed bytes is not the connector's job: the ``format`` option selects a reader
in ``connectors.formats``.

A connector may also implement ``check(options, ctx) -> CheckResult`` (the ``Checkable``
protocol): whether the source changed, learnt from metadata only (``territoria sources
check``). ``unchanged_result`` and ``landed_result`` build the two usual outcomes of a fetch.
Remote connectors share the HTTP layer in ``connectors.http.client`` (retries, conditional
requests, streaming into the landing area, secrets).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ValidationError

from territoria.catalog.model import TableSchema
from territoria.core.errors import ConfigError, SourceError
from territoria.core.registry import registry
from territoria.landing import LandedObject, Landing
from territoria.workspace.model import TerritoryConfig


@dataclass
class FetchRecord:
    dataset: str
    kind: str
    url: str
    status: str
    changed: bool
    bytes: int = 0
    sha256: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FetchContext:
    dataset: str
    workspace_root: Path
    landing: Landing
    territory: TerritoryConfig
    previous_state: dict[str, Any] | None
    tmp_dir: Path
    #: the entry's declared Table Schema, so that a connector reading the source's structure
    #: from metadata can refuse a source that no longer publishes a declared field
    schema: TableSchema | None = None


@dataclass
class FetchResult:
    changed: bool
    #: sha256 of the current content (the previous one when unchanged)
    sha256: str | None
    state: dict[str, Any]
    record: FetchRecord
    landed: LandedObject | None = None


class Connector(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type[BaseModel]]

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult: ...


CONNECTORS = "territoria.connectors"


def available_connectors() -> list[str]:
    """The installed source kinds (built-ins are entry points like any plugin's)."""
    return registry.names(CONNECTORS)


def get_connector(kind: str) -> Connector:
    """A new connector of ``kind``; an unknown kind is a ``ConfigError`` with the close names."""
    connector: Connector = registry.get(CONNECTORS, kind)()
    return connector


def parse_options(connector: Connector, dataset: str, options: dict[str, Any]) -> BaseModel:
    try:
        return connector.Options.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigError(
            f"source of dataset {dataset!r} ({connector.kind}) is misconfigured: {problems}",
            hint=f"fix the `source:` block in sources/{dataset}.yaml",
        ) from exc


@dataclass
class CheckResult:
    """Whether a source changed, learnt without downloading its content."""

    #: None when the connector cannot tell without downloading
    changed: bool | None
    reason: str
    url: str = ""


class Checkable(Protocol):
    """A connector that can tell whether a source changed without downloading it."""

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult: ...


def unchanged_result(
    ctx: FetchContext, kind: str, url: str, reason: str, state: dict[str, Any], **record: Any
) -> FetchResult:
    """Nothing downloaded: the previous landed content stays current."""
    prev = state.get("sha256")
    rec = FetchRecord(ctx.dataset, kind, url, f"unchanged ({reason})", False, 0, prev, **record)
    return FetchResult(False, prev, state, rec)


def landed_result(
    ctx: FetchContext, kind: str, url: str, landed: LandedObject, state: dict[str, Any], **record: Any
) -> FetchResult:
    """A payload was landed: changed unless its content hash equals the previous one."""
    prev = (ctx.previous_state or {}).get("sha256")
    changed = landed.sha256 != prev
    status = "new content" if changed else "unchanged (same content hash)"
    state = {**state, "sha256": landed.sha256}
    rec = FetchRecord(ctx.dataset, kind, url, status, changed, landed.size, landed.sha256, **record)
    return FetchResult(changed, landed.sha256, state, rec, landed)


def check_declared_fields(ctx: FetchContext, published: list[str], where: str) -> None:
    """Fail before downloading when the source no longer publishes a field the schema declares."""
    if ctx.schema is None:
        return
    missing = [f.name for f in ctx.schema.fields if f.name not in published]
    if missing:
        raise SourceError(
            f"source {ctx.dataset!r}: {where} no longer publishes the field(s) {', '.join(missing)} "
            f"declared in the schema (it publishes: {', '.join(published[:30])})",
            hint=f"the source's structure changed: review the schema in sources/{ctx.dataset}.yaml "
            "(`territoria sources add URL --id new` proposes the current one); the previous data is kept",
        )


def still_landed(ctx: FetchContext) -> bool:
    """The previous payload is still in the landing area (retention may have removed it)."""
    sha = (ctx.previous_state or {}).get("sha256")
    return isinstance(sha, str) and ctx.landing.has(sha)
