"""Each dataset's DCAT node is kept across publications under the plan's fingerprint
(``publication/dcat_nodes.py``): the feed must be the very text a node built anew gives, whether
the node is built (cache cold) or kept (warm), with the dates of each run, and after any change
that must build it again (a catalog entry edited, an export format added)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from territoria.core.registry import registry
from territoria.core.stamps import SETTLE_S
from territoria.pipelines import load_plan, run_pipeline
from territoria.pipelines.plan import Plan
from territoria.publication.dcat import dcat_catalog, with_access_rights
from territoria.publication.dcat_nodes import (
    DatedNode,
    KeptNode,
    catalog_json,
    dated_node,
    feed_json,
    forget,
    node_json,
)
from territoria.publication.formats import GROUP, formats
from territoria.testing.clock import backdate
from territoria.workspace import Workspace


def text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, default=str)  # as the snapshot writes catalog.json


def built_anew(ws: Workspace, plan: Plan, datasets: list[dict[str, Any]]) -> str:
    """The feed of nodes all built for this call: a plan without a fingerprint keeps none."""
    return text(dcat_catalog(ws, replace(plan, fingerprint=None), datasets=datasets))


def cached_plan(ws: Workspace) -> Plan:
    """The plan as the cache keeps it, with its fingerprint. A plan is not cached while a file it is
    built from changed less than ``SETTLE_S`` ago, and the package's folders are among them: a
    subprocess of another test writing a ``__pycache__`` beside a module leaves the plan uncached
    for that long (it happened in CI), so wait for them to settle."""
    for _ in range(10):
        plan = load_plan(ws)
        if plan.fingerprint is not None:
            return plan
        time.sleep(SETTLE_S)
    raise AssertionError("the plan's files never settled: it is never cached")


def published(ws: Workspace) -> tuple[dict[str, Any], str]:
    """A forced run's catalog.json, as written, and its text."""
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine, force=True)
    raw = (Path(str(summary.publication)) / "catalog.json").read_text(encoding="utf-8")
    return json.loads(raw), raw


def retitle(ws: Workspace, source: str, suffix: str) -> None:
    path = ws.sources_dir / f"{source}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line + suffix if line.startswith("title:") else line for line in lines) + "\n", "utf-8")


def redated(datasets: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
    """The same catalog entries, updated at another time (one of them never updated)."""
    out = [{**d, "updated_at": f"{day}T10:00:{i % 60:02d}.123456"} for i, d in enumerate(datasets)]
    out[0]["updated_at"] = None
    return out


def test_kept_nodes_give_the_text_of_nodes_built_anew(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    forget()
    first, _ = published(small_ws)  # the cache is cold: every node built
    plan = cached_plan(small_ws)
    assert text(first["dcat"]) == built_anew(small_ws, plan, first["datasets"])
    assert any("dcat:distribution" in n and "dct:modified" in n for n in first["dcat"]["dcat:dataset"])

    second, raw = published(small_ws)  # warm (cached plan): every node kept, with this run's dates
    assert second["dcat"]["dct:modified"] != first["dcat"]["dct:modified"]
    assert text(second["dcat"]) == built_anew(small_ws, load_plan(small_ws), second["datasets"])
    assert text(second) == raw  # the whole catalog.json: its text is that of its content

    for day in ("2031-01-02", "2032-03-04"):  # kept nodes, other dates, one dataset never updated
        docs = redated(second["datasets"], day)
        kept = text(dcat_catalog(small_ws, plan, datasets=docs))
        assert kept == built_anew(small_ws, plan, docs) and day in kept
    assert text(dcat_catalog(small_ws, plan)) == built_anew(small_ws, plan, [])  # nothing served


def test_a_change_builds_the_nodes_again(small_ws: Workspace) -> None:
    backdate(small_ws.root)
    forget()
    before, _ = published(small_ws)
    published(small_ws)  # kept from now on

    retitle(small_ws, "population-communes", " (modifié)")  # a catalog entry: a new fingerprint
    backdate(small_ws.root)
    after, _ = published(small_ws)
    plan = cached_plan(small_ws)
    assert "(modifié)" in text(after["dcat"]) and "(modifié)" not in text(before["dcat"])
    # the sources of what is computed from it (``provenance``, kept per fingerprint too)
    sources = [s["title"] for d in after["datasets"] if d["layer"] != "staging" for s in d["sources"]]
    assert any(t.endswith("(modifié)") for t in sources)
    assert text(after["dcat"]) == built_anew(small_ws, plan, after["datasets"])

    # another export format (a plugin), same files: published datasets get its distribution
    csv = formats()["csv"]
    extra = replace(csv, name="csv-tab", description="CSV tabulé")
    with registry.registered(GROUP, "csv-tab", extra):
        doc = text(dcat_catalog(small_ws, plan, datasets=after["datasets"]))
        assert "CSV tabulé" in doc and doc == built_anew(small_ws, plan, after["datasets"])
    assert "CSV tabulé" not in text(dcat_catalog(small_ws, plan, datasets=after["datasets"]))


def test_the_feed_text_from_kept_texts_is_the_text_of_the_feed(small_ws: Workspace) -> None:
    """``catalog.json`` encodes a kept node once and puts each run's dates in its text
    (``dcat_nodes.feed_json``): the text must be the one encoding the whole feed gives."""
    backdate(small_ws.root)
    forget()
    published(small_ws)
    second, raw = published(small_ws)
    plan = cached_plan(small_ws)
    for day in ("2031-01-02", "2032-03-04"):
        doc = dcat_catalog(small_ws, plan, datasets=redated(second["datasets"], day))
        nodes = doc["dcat:dataset"]
        assert any(isinstance(n, DatedNode) for n in nodes) and any(type(n) is KeptNode for n in nodes)
        assert feed_json(doc) == text(doc) and day in feed_json(doc)
        assert all(n.kept.text is not None for n in nodes if isinstance(n, DatedNode))  # encoded once, kept
    assert raw == text(json.loads(raw)) and '"dct:modified": {"@value": "undated"' not in raw


def test_a_node_carrying_the_placeholder_date_elsewhere_is_encoded_whole() -> None:
    undated = {"@value": "undated", "@type": "xsd:dateTime"}
    kept = KeptNode({"dct:modified": undated, "dct:relation": {"dct:modified": undated}})
    dated = dated_node(kept, "2030-01-01T00:00:00")
    assert isinstance(dated, DatedNode) and node_json(dated) == catalog_json(dated)
    assert node_json(dated).count("undated") == 1  # the relation's own, not the node's date


def test_access_rights_leave_the_kept_nodes_as_they_are(small_ws: Workspace) -> None:
    """``territoria catalog`` sets each dataset's access rights on a feed whose nodes are kept for
    the next feeds (in place, they went into every later feed of the process)."""
    backdate(small_ws.root)
    forget()
    published(small_ws)
    plan = cached_plan(small_ws)
    doc = dcat_catalog(small_ws, plan)
    before = text(doc)
    ids = [str(n["dct:identifier"]) for n in doc["dcat:dataset"]]
    changed = with_access_rights(doc, dict.fromkeys(ids, "personal"))
    assert changed is doc and text(doc) != before
    assert text(dcat_catalog(small_ws, plan)) == before == built_anew(small_ws, plan, [])
