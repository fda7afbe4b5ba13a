"""Catalog entries and secrecy rule sets as tests and benchmarks write them: one builder each, with
the fields a test does not care about filled in, so that a test states only what it is about.

Plain dictionaries, in the shape of ``sources/<id>.yaml`` and of a ``secrecy:`` section of
``policies.yaml`` (this layer imports no other of the package: the catalog's own model validates
them where the workspace reads them, as it would a user's file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

LICENCE = "Licence Ouverte / Open Licence"
#: a cell's cost for secondary suppression: its count, an empty cell never chosen
COST = "CASE WHEN nb > 0 THEN nb ELSE 1e6 END"


def table_schema(
    fields: Mapping[str, str] | Sequence[Mapping[str, Any]], primary_key: Sequence[str] | None = None
) -> dict[str, Any]:
    """A Table Schema: ``fields`` as ``{name: type}``, or as whole field descriptors."""
    listed = [{"name": n, "type": t} for n, t in fields.items()] if isinstance(fields, Mapping) else list(fields)
    schema: dict[str, Any] = {"fields": [dict(f) for f in listed]}
    if primary_key:
        schema["primaryKey"] = list(primary_key)
    return schema


def file_source(
    name: str, *, fmt: str = "csv", delimiter: str | None = None, read: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``source:`` of a file in the workspace's ``data/`` folder (``read:`` only when given)."""
    source: dict[str, Any] = {"kind": "file", "path": f"data/{name}", "format": fmt}
    options = {**({"delimiter": delimiter} if delimiter else {}), **(read or {})}
    if options or read is not None:
        source["read"] = options
    return source


def catalog_entry(
    identifier: str,
    source: Mapping[str, Any],
    *,
    title: str | None = None,
    publisher: str = "Test",
    licence: str = LICENCE,
    schema: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A catalog entry: ``extra`` adds or overrides any other key (``description``, ``access``,
    ``publish``, ``secrecy``, ``frequency``...), in the order given."""
    entry: dict[str, Any] = {
        "identifier": identifier,
        "title": title or f"Test {identifier}",
        "publisher": {"name": publisher},
        "licence": licence,
        **extra,
        "source": dict(source),
    }
    if schema is not None:
        entry["schema"] = dict(schema)
    return entry


def write_entry(sources_dir: Path, entry: Mapping[str, Any]) -> Path:
    """Writes ``entry`` where a workspace reads it (``sources/<identifier>.yaml``)."""
    path = sources_dir / f"{entry['identifier']}.yaml"
    path.write_text(yaml.safe_dump(dict(entry), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def min_count(column: str, threshold: int, rule_id: str | None = None) -> dict[str, Any]:
    """A primary rule: fewer than ``threshold`` units in ``column`` (id ``min<threshold>`` unless given)."""
    return {"id": rule_id or f"min{threshold}", "kind": "min_count", "column": column, "threshold": threshold}


def masked_input(column: str = "masked", rule_id: str = "masked") -> dict[str, Any]:
    """A primary rule: the cell came masked from its producer (``column`` is true)."""
    return {"id": rule_id, "kind": "masked_input", "column": column}


def cell_margins(
    parent: str = "parent",
    *,
    extra: Sequence[Mapping[str, Any]] = (),
    period: bool = True,
    cost: str | None = COST,
) -> dict[str, Any]:
    """The ``secondary:`` section of a code x sector (x period) table of cells: codes nested by
    ``parent``, sectors summed in ``T``, then ``extra`` dimensions; ``cost`` left out when None."""
    dimensions = [{"column": "code", "parent": parent}, {"column": "sector", "total": "T"}, *map(dict, extra)]
    if period:
        dimensions.append({"column": "period"})
    return {"dimensions": dimensions, **({"cost": cost} if cost is not None else {})}


def rule_set(
    measures: Sequence[str],
    rules: Sequence[Mapping[str, Any]],
    secondary: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A secrecy rule set as ``policies.yaml`` writes it under ``secrecy:``; ``extra`` adds its other
    keys (``protection``, ``shares``...)."""
    ruleset: dict[str, Any] = {"measures": list(measures), "rules": [dict(r) for r in rules]}
    if secondary is not None:
        ruleset["secondary"] = dict(secondary)
    return {**ruleset, **extra}
