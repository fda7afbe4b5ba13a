"""Each dataset's DCAT node, built once per version of the files it is built from.

Every publication builds the DCAT feed of every dataset again (``dcat.dcat_catalog``), while a
dataset's node depends only on the files the plan is built from (its catalog entry or model,
its sources' licences, themes and ``synthetic`` flags, the territory), on the feed's base IRI
and the export formats, and on what the API serves of it: whether it is published, mappable and
dated, and its date. The plan's ``fingerprint`` (``pipelines/plan_cache.py``) changes with any
of those files, so a node is kept under that fingerprint, the base, the formats and what is
served but the date, built with a placeholder date that each publication replaces with the
dataset's own (the only part that changes from one run to the next of an unchanged chain).

The nodes handed out share their unchanging parts with the kept ones: the feed is written as
JSON, never modified. A plan without a fingerprint (not cached: files just edited, personal data,
a plan built directly) gets nodes built anew, as before.

A kept node's JSON text is kept too, once a catalog has been written with it (``feed_json``): a
dated node's text is the kept one's with the date put in its places, so writing the feed encodes
the dates only, not the whole feed again at every run (about two thirds of ``catalog.json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from territoria.publication.formats import formats

Node = dict[str, Any]

#: the date a kept node is built with, replaced by the dataset's own in each feed (``dated``)
UNDATED = "undated"
#: fingerprints kept: a long-running process whose files change does not keep every version
KEEP = 4

#: (plan fingerprint, base IRI, export formats) -> (kind, identifier, published, mappable, dated) -> node
_KEPT: dict[tuple[Any, ...], dict[tuple[Any, ...], KeptNode]] = {}
#: what precedes a date in a node's text (``dct:modified``'s value is ``{"@value": ..., "@type": ...}``)
_DATE_KEY = '"dct:modified": '


#: ``json.dumps(value, ensure_ascii=False, default=str)``, the encoder built once (``json.dumps``
#: builds one at every call: about 2 µs, more than encoding a date)
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def catalog_json(value: Any) -> str:
    """The encoding of ``catalog.json`` (``snapshot_catalog.write_catalog``)."""
    return _encode(value)


class KeptNode(dict[str, Any]):
    """A kept node (a plain dict to every reader), with its text once a feed was written with it,
    and the text of its placeholder date in it."""

    __slots__ = ("text", "undated")

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.text: str | None = None
        self.undated: str | None = None


class DatedNode(dict[str, Any]):
    """A kept node with a dataset's date (``dated_node``), and what its text is made from."""

    __slots__ = ("dates", "kept")

    def __init__(self, node: Node, kept: KeptNode, dates: int) -> None:
        super().__init__(node)
        self.kept = kept
        #: the places ``dated_node`` put the date in
        self.dates = dates


@dataclass(frozen=True)
class Served:
    """What the API serves of a dataset, from the publication's catalog (None: nothing known)."""

    published: bool = False
    modified: str | None = None
    mappable: bool = False

    @classmethod
    def of(cls, doc: dict[str, Any] | None) -> Served:
        if doc is None:
            return cls()
        fields = {f.get("name") for f in (doc.get("schema") or {}).get("fields", [])}
        return cls(bool(doc.get("published")), doc.get("updated_at"), bool(doc.get("geometry")) or "code" in fields)


def _formats_key() -> tuple[tuple[Any, ...], ...]:
    """What a published dataset's distributions take from the export formats (``api_distributions``)."""
    return tuple((name, f.media_type, f.description, f.needs_geometry) for name, f in formats().items())


class NodeCache:
    """The nodes of one feed: kept ones under the plan's fingerprint, or none without one."""

    def __init__(self, fingerprint: str | None, base: str) -> None:
        self.kept: dict[tuple[Any, ...], KeptNode] | None = None
        if fingerprint is None:
            return
        key = (fingerprint, base, _formats_key())
        kept = _KEPT.get(key)
        if kept is None:
            while len(_KEPT) >= KEEP:
                _KEPT.pop(next(iter(_KEPT)))  # the oldest
            kept = _KEPT[key] = {}
        self.kept = kept

    def node(self, kind: str, identifier: str, served: Served, build: Callable[[Served], Node]) -> Node:
        """The node ``build(served)`` gives, from the kept one when there is one."""
        if self.kept is None:
            return build(served)
        dated = bool(served.modified)
        key = (kind, identifier, served.published, served.mappable, dated)
        node = self.kept.get(key)
        if node is None:
            node = self.kept[key] = KeptNode(build(replace(served, modified=UNDATED) if dated else served))
        return dated_node(node, served.modified) if dated else node


def dated_node(node: Node, modified: str | None) -> Node:
    """``node`` (built with ``UNDATED``) with the date ``modified`` wherever it carries one: the
    dataset and the API's distributions (``dcat._common``, ``dcat_terms.api_distributions``).
    The keys keep their places, so the JSON is the text a node built with that date gives."""
    when = {"@value": modified, "@type": "xsd:dateTime"}  # as ``dcat._datetime``
    out = {**node, "dct:modified": when}
    dates = 1
    distributions = node.get("dcat:distribution")
    if distributions:
        out["dcat:distribution"] = [{**d, "dct:modified": when} if "dct:modified" in d else d for d in distributions]
        dates += sum(1 for d in distributions if "dct:modified" in d)
    return DatedNode(out, node, dates) if isinstance(node, KeptNode) else out


def node_json(node: Node) -> str:
    """``catalog_json(node)``; for a node a ``NodeCache`` handed out, from its kept node's text.

    A dated node's text is its kept node's with each date of ``UNDATED`` replaced by its own. The
    text ``"dct:modified": {"@value": "undated", ...`` cannot occur inside a string (its quotes
    would be escaped), so each occurrence is a date's place: when there are more of them than the
    places ``dated_node`` dated (a node that carried that very date elsewhere), it is encoded whole."""
    if isinstance(node, KeptNode):
        if node.text is None:
            node.text = _encode(node)
        return node.text
    if isinstance(node, DatedNode):
        kept = node.kept
        text = node_json(kept)
        if kept.undated is None:
            kept.undated = _DATE_KEY + _encode(kept["dct:modified"])
        if text.count(kept.undated) == node.dates:
            return text.replace(kept.undated, _DATE_KEY + _flat_json(node["dct:modified"]))
    return _encode(node)


def _flat_json(obj: dict[str, Any]) -> str:
    """``_encode(obj)`` of a dict of strings (a date), each string by the encoder's fast path: a
    dict costs ``_encode`` a C encoder built for the call (about 1.5 µs, for each node)."""
    return "{" + ", ".join(f"{_encode(k)}: {_encode(v)}" for k, v in obj.items()) + "}"


def object_json(obj: dict[str, Any], parts: dict[str, Callable[[Any], str]]) -> str:
    """``catalog_json(obj)``, the values of the keys in ``parts`` encoded by their function: the
    text ``json.dumps`` gives, ``{"key": value, ...}`` with its default separators."""
    items = (f"{_encode(k)}: {parts[k](v) if k in parts else _encode(v)}" for k, v in obj.items())
    return "{" + ", ".join(items) + "}"


def feed_json(doc: dict[str, Any]) -> str:
    """``catalog_json(doc)`` of a feed (``dcat.dcat_catalog``), each node's text by ``node_json``."""
    return object_json(doc, {"dcat:dataset": lambda nodes: "[" + ", ".join(map(node_json, nodes)) + "]"})


def forget() -> None:
    """Drop every kept node (a test's cold start)."""
    _KEPT.clear()


__all__ = [
    "KEEP",
    "UNDATED",
    "DatedNode",
    "KeptNode",
    "NodeCache",
    "Served",
    "catalog_json",
    "dated_node",
    "feed_json",
    "forget",
    "node_json",
    "object_json",
]
