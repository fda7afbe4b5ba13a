"""Use-case packs: a folder with ``pack.yaml``, SQL models, indicator definitions and catalog
entries for its sources. Packs are found through the plugin registry's ``territoria.packs``
group (the built-in ones are entry points too), so another territory or a third party adds one
by installing it; a workspace may also use a pack folder of its own (``path:`` in territory.yaml).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from territoria.catalog.sql_macros import expand_macros
from territoria.core.errors import ConfigError
from territoria.core.registry import registry
from territoria.core.vocab import AccessLevel
from territoria.core.yamlio import load_model
from territoria.engines.dialect import SOURCE as SOURCE_DIALECT
from territoria.engines.dialect import mark_variant, variant_path, with_parts
from territoria.indicators.definition import IndicatorDef


class ModelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    description: str = ""
    #: what the table is, in French for the public (catalogue, dashboard); ``description`` is for developers
    summary: str = ""
    sql: str
    publish: bool = False
    access: AccessLevel = AccessLevel.open
    secrecy: str | None = None


class PackDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    description: str = ""
    version: str = "1"
    #: packs whose datasets this one reads; ``territoria init --pack`` enables them too
    requires: list[str] = Field(default_factory=list)
    #: a value, or ``{value: ..., to_fill: true, description: ...}`` for a territory's own choice
    #: (a climate target): no default is applied, the workspace must set it
    parameters: dict[str, Any] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    models: list[ModelDef] = Field(default_factory=list)
    indicators: list[IndicatorDef] = Field(default_factory=list)
    #: ``module:function(workspace)`` run by ``territoria init`` (inputs derived from real data)
    prepare: str | None = None
    #: ``module:function(workspace)`` run by ``territoria demo`` (synthetic demo inputs)
    prepare_demo: str | None = None


def _is_spec(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value and set(value) <= {"value", "to_fill", "description"}


# pack.yaml parsed once per file version: a plan reads every pack's definition for each publish
# step's rule sets, and `status`, `run` and the daemon plan often
_DEFINITIONS: dict[tuple[Path, int, int], PackDef] = {}


def _definition(path: Path) -> PackDef:
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = load_model(path, PackDef)
    return _DEFINITIONS[key]  # shared: a pack's definition is read-only (PackDef is frozen)


class Pack:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.definition = _definition(directory / "pack.yaml")

    @property
    def name(self) -> str:
        return self.definition.name

    def read_sql(self, relative: str, dialect: str = SOURCE_DIALECT) -> str:
        """A model's SQL; for another engine, its variant (``x.postgres.sql`` beside ``x.sql``, whole
        or parts of it: ``engines/dialect.with_parts``) when the pack ships one, marked so that the
        engine runs it untranslated; its macros expanded (``catalog/sql_macros.py``)."""
        path = self.directory / relative
        if not path.is_file():
            raise ConfigError(f"pack {self.name!r} names a missing SQL file {relative}")
        variant = variant_path(path, dialect)
        base = path.read_text(encoding="utf-8")
        if dialect != SOURCE_DIALECT and variant.is_file():
            label = f"pack {self.name!r}, {variant.name}"
            sql = mark_variant(with_parts(base, variant.read_text(encoding="utf-8"), label), dialect)
            return expand_macros(sql, label)
        return expand_macros(base, f"pack {self.name!r}, {relative}")

    def run_hook(self, which: str, workspace: Any) -> None:
        target = getattr(self.definition, which)
        if not target:
            return
        if which == "prepare_demo":  # the inputs it writes are invented: the entries reading them say so
            workspace.use_demo_entries(self)
        module_name, _, func = target.partition(":")
        getattr(importlib.import_module(module_name), func)(workspace)
        if which == "prepare_demo":
            workspace.record_demo_inputs(self)

    def defaults(self) -> dict[str, Any]:
        """The parameters' default values (``None`` for those the territory must fill in)."""
        return {k: (v["value"] if _is_spec(v) else v) for k, v in self.definition.parameters.items()}

    def to_fill(self) -> dict[str, str]:
        """Parameters that are the territory's own choice, with what they mean."""
        return {
            k: str(v.get("description") or "")
            for k, v in self.definition.parameters.items()
            if _is_spec(v) and v.get("to_fill")
        }

    def source_files(self) -> list[Path]:
        return [self.directory / "sources" / f"{s}.yaml" for s in self.definition.sources]


PACKS = "territoria.packs"


def available_packs() -> list[str]:
    """The installed packs' names (nothing is imported)."""
    return registry.names(PACKS)


def load_pack(name: str, path: Path | None = None) -> Pack:
    """An installed pack by name, or a workspace-local pack folder when ``path`` is given."""
    if path is not None:
        if not (path / "pack.yaml").is_file():
            raise ConfigError(f"pack {name!r}: no pack.yaml in {path}", hint="point `path:` at the pack's folder")
        return Pack(path)
    # a pack plugin is a package: its folder holds pack.yaml
    module = registry.get(PACKS, name)
    return Pack(Path(next(iter(module.__path__))))


def with_requirements(names: list[str]) -> list[Pack]:
    """The packs named and, transitively, those they require, each required pack before the
    packs that need it (the order of territory.yaml and of ``prepare`` hooks)."""
    ordered: dict[str, Pack] = {}
    for name in names:
        _visit(name, (), ordered)
    return list(ordered.values())


def _visit(name: str, chain: tuple[str, ...], ordered: dict[str, Pack]) -> None:
    """``name`` into ``ordered`` after the packs it requires. A module function, not a closure
    calling itself: that closure made a reference cycle per call."""
    if name in ordered:
        return
    if name in chain:
        raise ConfigError(f"packs require each other in a cycle: {' -> '.join((*chain, name))}")
    pack = load_pack(name)
    for required in pack.definition.requires:
        _visit(required, (*chain, name), ordered)
    ordered[name] = pack
