"""Use-case packs: a folder with ``pack.yaml``, SQL models, indicator definitions and catalog
entries for its sources. Packs are found through the ``territoria.packs`` entry point group
(the built-in ones too), so another territory or a third party adds one by installing it.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.core.yamlio import load_model
from territoria.indicators.definition import IndicatorDef


class ModelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    description: str = ""
    sql: str
    publish: bool = False
    access: AccessLevel = AccessLevel.open
    secrecy: str | None = None


class PackDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    description: str = ""
    version: str = "1"
    parameters: dict[str, Any] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    models: list[ModelDef] = Field(default_factory=list)
    indicators: list[IndicatorDef] = Field(default_factory=list)
    #: ``module:function(workspace)`` run by ``territoria init`` (inputs derived from real data)
    prepare: str | None = None
    #: ``module:function(workspace)`` run by ``territoria demo`` (synthetic demo inputs)
    prepare_demo: str | None = None


class Pack:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.definition = load_model(directory / "pack.yaml", PackDef)

    @property
    def name(self) -> str:
        return self.definition.name

    def read_sql(self, relative: str) -> str:
        path = self.directory / relative
        if not path.is_file():
            raise ConfigError(f"pack {self.name!r} names a missing SQL file {relative}")
        return path.read_text(encoding="utf-8")

    def run_hook(self, which: str, workspace: Any) -> None:
        target = getattr(self.definition, which)
        if not target:
            return
        module_name, _, func = target.partition(":")
        getattr(importlib.import_module(module_name), func)(workspace)

    def source_files(self) -> list[Path]:
        return [self.directory / "sources" / f"{s}.yaml" for s in self.definition.sources]


@functools.cache
def available_packs() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="territoria.packs")}


def load_pack(name: str, path: Path | None = None) -> Pack:
    """An installed pack by name, or a workspace-local pack folder when ``path`` is given."""
    if path is not None:
        if not (path / "pack.yaml").is_file():
            raise ConfigError(f"pack {name!r}: no pack.yaml in {path}", hint="point `path:` at the pack's folder")
        return Pack(path)
    packs = available_packs()
    if name not in packs:
        raise ConfigError(
            f"unknown pack {name!r}; installed packs: {', '.join(sorted(packs))}", hint=did_you_mean(name, packs)
        )
    module = importlib.import_module(packs[name])
    return Pack(Path(next(iter(module.__path__))))
