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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ValidationError

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean
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


def available_connectors() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group="territoria.connectors")}


def get_connector(kind: str) -> Connector:
    found = available_connectors()
    if kind not in found:
        raise ConfigError(
            f"unknown source kind {kind!r}; installed connectors: {', '.join(sorted(found))}",
            hint=did_you_mean(kind, found),
        )
    connector: Connector = found[kind].load()()
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
