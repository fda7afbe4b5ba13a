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
"""

from __future__ import annotations

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
_KEPT: dict[tuple[Any, ...], dict[tuple[Any, ...], Node]] = {}


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
        self.kept: dict[tuple[Any, ...], Node] | None = None
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
            node = self.kept[key] = build(replace(served, modified=UNDATED) if dated else served)
        return dated_node(node, served.modified) if dated else node


def dated_node(node: Node, modified: str | None) -> Node:
    """``node`` (built with ``UNDATED``) with the date ``modified`` wherever it carries one: the
    dataset and the API's distributions (``dcat._common``, ``dcat_terms.api_distributions``).
    The keys keep their places, so the JSON is the text a node built with that date gives."""
    when = {"@value": modified, "@type": "xsd:dateTime"}  # as ``dcat._datetime``
    out = {**node, "dct:modified": when}
    distributions = node.get("dcat:distribution")
    if distributions:
        out["dcat:distribution"] = [{**d, "dct:modified": when} if "dct:modified" in d else d for d in distributions]
    return out


def forget() -> None:
    """Drop every kept node (a test's cold start)."""
    _KEPT.clear()


__all__ = ["KEEP", "UNDATED", "NodeCache", "Served", "dated_node", "forget"]
