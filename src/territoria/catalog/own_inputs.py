"""Catalog entries of the territory's own inputs: files only the territory can supply (its list of
cool places, the census base it downloads, its waste report...), which the demonstration invents.

A pack writes such an entry as the demonstration uses it (``synthetic: true``, reading the file
its ``prepare_demo`` writes, its texts saying it is invented), and ends it with a
``territory_input:`` block: the texts that differ for a real territory (``title``, ``summary``,
``publisher``, ``description``; a description not given is the entry's, up to its ``DEMO DATA``
note). ``territoria init`` writes the territory's form for any territory: not synthetic, reading
``data/<x>.<ext>`` (the demo's ``data/<x>.synthetic.<ext>`` without ``.synthetic``), its
description saying which columns to supply. Only the demonstration (a pack's ``prepare_demo``,
which writes the synthetic files) writes the demo form: the text above the block, byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from territoria.core.errors import ConfigError

KEY = "territory_input"
#: the block, and the comment lines just above it, to the end of the file
BLOCK = re.compile(rf"^(?:#[^\n]*\n)*{KEY}:.*\Z", re.MULTILINE | re.DOTALL)
TEXTS = ("title", "summary", "publisher", "description")
DEMO_NOTE = "DEMO DATA"
#: the column the demo's files carry to mark their rows: nothing a territory supplies
DEMO_COLUMN = "synthetique"


def demo_form(text: str) -> str:
    """The entry as the demonstration uses it: the text above the block, unchanged."""
    match = BLOCK.search(text)
    return text[: match.start()] if match else text


def demo_path(text: str) -> str | None:
    """The file the demonstration's form of the entry reads (``None`` for an entry that is the same
    for every territory, or reads no file)."""
    demo = demo_form(text)
    if demo == text:
        return None
    source = (yaml.safe_load(demo) or {}).get("source") or {}
    return str(source["path"]) if source.get("path") else None


def territory_path(path: str) -> str:
    """The file a territory supplies where the demonstration reads ``path``."""
    return path.replace(".synthetic.", ".")


def territory_form(text: str, label: str) -> str:
    """The entry a real territory gets (``label`` names the pack's file in errors); an entry
    without the block is the same for every territory and is returned unchanged."""
    match = BLOCK.search(text)
    if not match:
        return text
    entry = yaml.safe_load(text[: match.start()])
    block = (yaml.safe_load(match.group(0)) or {}).get(KEY) or {}
    unknown = sorted(set(block) - set(TEXTS))
    if unknown:
        raise ConfigError(
            f"{label}: `{KEY}` sets {', '.join(unknown)}",
            hint=f"it may set {', '.join(TEXTS)} (the path and the synthetic label follow from the demo's)",
        )
    description = block.pop("description", None) or str(entry.get("description", "")).split(DEMO_NOTE)[0]
    entry.update(block)
    entry.pop("synthetic", None)
    source = entry["source"]
    if "path" in source:
        source["path"] = territory_path(str(source["path"]))
    entry["description"] = f"{description.strip()} {to_supply(entry)}"
    return yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


def to_supply(entry: dict[str, Any]) -> str:
    """What the territory drops in, and with which columns (the schema's required ones first)."""
    source = entry["source"]
    schema = entry.get("schema") or {}
    keys = set(schema.get("primaryKey") or [])
    fields = [f for f in schema.get("fields", []) if str(f["name"]).lower() != DEMO_COLUMN]
    required = [f["name"] for f in fields if (f.get("constraints") or {}).get("required") or f["name"] in keys]
    optional = [f["name"] for f in fields if f["name"] not in required]
    layout = str(source.get("format", "csv")).upper()
    delimiter = (source.get("read") or {}).get("delimiter")
    if delimiter:
        layout += f", separated by '{delimiter}'"
    where = f"the file {source['path']}" if "path" in source else "the source"
    columns = f"the columns {', '.join(required)} (required: a file without them is refused)"
    if optional:
        columns += f", {', '.join(optional)} (a column left out is read as empty)"
    upstream = " (or point `source` at `source.upstream`)" if source.get("upstream") else ""
    return f"TO SUPPLY: {where} ({layout}) with {columns}{upstream}; `territoria sources status` shows what is missing."
