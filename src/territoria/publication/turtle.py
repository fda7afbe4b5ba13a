"""Turtle from the JSON-LD territoria writes (DCAT feeds, dataset rows), without an RDF library.

The documents are compacted JSON-LD of a known shape: a ``@context`` mapping prefixes to
namespace IRIs, nodes with ``@id`` and ``@type``, compact or absolute IRIs as keys, values
that are strings, numbers, booleans, ``{"@value", "@language" | "@type"}`` literals, ``{"@id"}``
references or nested nodes, and ``@graph`` (with no ``@id``: the default graph) for a list of
top-level nodes. Each node becomes one Turtle statement block (predicates with ``;``, objects
with ``,``); nested nodes without an ``@id`` become ``[ ... ]`` blank nodes. Literals and IRIs
are escaped as the Turtle grammar requires, so the output parses to the same graph as the JSON-LD it came from.
"""

from __future__ import annotations

import math
import re
from typing import Any

XSD = "http://www.w3.org/2001/XMLSchema#"
#: a prefixed name's local part that needs no escaping (a subset of Turtle's PN_LOCAL)
_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_PREFIX = re.compile(r"^[A-Za-z]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class Turtle:
    """One document's serializer: its prefixes, and the blocks written so far."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.prefixes = {p: iri for p, iri in context.items() if isinstance(iri, str) and _PREFIX.match(p)}
        self.blocks: list[str] = []

    # -- terms -------------------------------------------------------------------------------
    def expand(self, term: str) -> str:
        prefix, sep, local = term.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        return term

    def iri(self, term: str) -> str:
        full = self.expand(term)
        for prefix, ns in self.prefixes.items():
            local = full[len(ns) :]
            if full.startswith(ns) and (local == "" or _LOCAL.match(local)):
                return f"{prefix}:{local}"
        return "<" + _IRI_FORBIDDEN.sub(lambda m: f"%{ord(m.group()):02X}", full) + ">"

    @staticmethod
    def string(text: str) -> str:
        escaped = "".join(_ESCAPES.get(ch, ch) for ch in text)
        return f'"{escaped}"'

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            # JSON-LD reads a number with no fractional part as an integer, any other as a double
            if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
                return str(int(value))
            return f"{self.string(_canonical_double(value))}^^{self.iri(XSD + 'double')}"
        return self.string(str(value))

    # -- nodes -------------------------------------------------------------------------------
    def value(self, v: Any, depth: int) -> str:
        if isinstance(v, dict) and "@value" in v:
            if isinstance(v["@value"], (bool, int, float)):
                return self.literal(v["@value"])
            text = self.string(str(v["@value"]))
            if "@language" in v:
                return f"{text}@{v['@language']}"
            return f"{text}^^{self.iri(v['@type'])}" if "@type" in v else text
        if isinstance(v, dict) and set(v) == {"@id"}:
            return self.iri(v["@id"])
        if isinstance(v, dict):
            if "@id" in v:
                self.node(v)
                return self.iri(v["@id"])
            return "[\n" + self.properties(v, depth + 1) + "\n" + "    " * depth + "]"
        return self.literal(v)

    def properties(self, n: dict[str, Any], depth: int) -> str:
        indent = "    " * depth
        parts: list[str] = []
        types = n.get("@type")
        if types:
            parts.append(
                f"{indent}a " + ", ".join(self.iri(t) for t in (types if isinstance(types, list) else [types]))
            )
        for key, raw in n.items():
            if key.startswith("@"):
                continue
            items = raw if isinstance(raw, list) else [raw]
            items = [i for i in items if i is not None]
            if items:
                parts.append(f"{indent}{self.iri(key)} " + ", ".join(self.value(i, depth) for i in items))
        return " ;\n".join(parts)

    def node(self, n: dict[str, Any]) -> None:
        body = self.properties(n, 1)
        subject = self.iri(n["@id"]) if "@id" in n else "[]"
        if body:
            self.blocks.append(f"{subject}\n{body} .")

    def document(self) -> str:
        head = [f"@prefix {p}: <{iri}> ." for p, iri in self.prefixes.items()]
        return "\n".join(head) + "\n\n" + "\n\n".join(self.blocks) + "\n"


def _canonical_double(value: float) -> str:
    """XSD's canonical double (``1.5E0``), the form JSON-LD gives a JSON number with a fraction."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    mantissa, _, exponent = f"{value:.15E}".partition("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def to_turtle(doc: dict[str, Any]) -> str:
    """Turtle of a compacted JSON-LD document (see the module docstring for the shape)."""
    out = Turtle(doc.get("@context", {}))
    nodes = doc["@graph"] if "@graph" in doc else [{k: v for k, v in doc.items() if k != "@context"}]
    for n in nodes:
        out.node(n)
    return out.document()


__all__ = ["to_turtle"]
