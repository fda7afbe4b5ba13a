"""Where a published figure comes from, and whether it is real: from its lineage in the plan.

A dataset is synthetic as soon as one source it is computed from says ``synthetic: true`` in its
catalog entry (a demonstration file, an invented sensor network): one invented input is enough to
make the figure invented. Every dataset also carries the list of its sources with their producer,
vintage, licence and last update, shown next to the figure (API, dashboard, exports, DCAT).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from territoria.catalog.model import DatasetEntry
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import IngestStep

#: the note every synthetic figure carries, in French (dashboard, DCAT, export metadata)
SYNTHETIC_LABEL = "Données synthétiques"


def source_entries(plan: Plan, dataset: str) -> list[DatasetEntry]:
    """The catalog entries of the sources ``dataset`` is computed from (itself, for a source)."""
    return list(_upstream(plan).get(dataset, ()))


#: id(plan) -> (the plan, weakly, and every dataset's sources): a snapshot asks for each dataset
_UPSTREAM: dict[int, tuple[weakref.ref[Plan], dict[str, tuple[DatasetEntry, ...]]]] = {}
#: plan fingerprint -> every dataset's sources: each run loads a plan of its own (a copy), built
#: from the same files as long as its fingerprint is the same (``pipelines/plan_cache.py``)
_BY_FINGERPRINT: dict[str, dict[str, tuple[DatasetEntry, ...]]] = {}
#: fingerprints kept: a long-running process whose files change does not keep every version
KEEP = 4


def _upstream(plan: Plan) -> dict[str, tuple[DatasetEntry, ...]]:
    """Every dataset's source entries, sorted by identifier, once per plan (or per version of the
    files plans are built from, when known)."""
    if plan.fingerprint is not None:
        found = _BY_FINGERPRINT.get(plan.fingerprint)
        if found is None:
            while len(_BY_FINGERPRINT) >= KEEP:
                _BY_FINGERPRINT.pop(next(iter(_BY_FINGERPRINT)))  # the oldest
            found = _BY_FINGERPRINT[plan.fingerprint] = _sources(plan)
        return found
    cached = _UPSTREAM.get(id(plan))
    if cached is not None and cached[0]() is plan:
        return cached[1]
    found = _sources(plan)
    key = id(plan)
    _UPSTREAM[key] = (weakref.ref(plan, lambda _: _UPSTREAM.pop(key, None)), found)
    return found


def _sources(plan: Plan) -> dict[str, tuple[DatasetEntry, ...]]:
    """Every dataset's source entries in one pass in run order: a walk up from each dataset is
    quadratic in the depth of the graph."""
    found: dict[str, tuple[DatasetEntry, ...]] = {}
    for step_id in plan.order:
        step = plan.steps[step_id]
        sources = {e.identifier: e for i in step.inputs for e in found.get(i, ())}
        if isinstance(step, IngestStep):
            sources[step.entry.identifier] = step.entry
        ordered = tuple(sources[k] for k in sorted(sources))
        for out in step.outputs:
            found[out] = ordered
    return found


def synthetic(plan: Plan, dataset: str) -> bool:
    """``provenance(plan, dataset)["synthetic"]``, without the list of sources it builds."""
    return any(e.synthetic for e in _upstream(plan).get(dataset, ()))


def vintage(entry: DatasetEntry) -> str | None:
    start, end = entry.temporal.start, entry.temporal.end
    if start and end:
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    if start or end:
        return str((start or end).year)  # type: ignore[union-attr]  # one of them is set
    return None


def provenance(plan: Plan, dataset: str, updated: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """``synthetic`` and ``sources`` (producer, vintage, licence, last update of each) of a dataset;
    ``updated`` maps a source's id to the time its data last changed, when known."""
    entries = source_entries(plan, dataset)
    return {
        "synthetic": any(e.synthetic for e in entries),
        "sources": [
            {
                "id": e.identifier,
                "title": e.title,
                "producer": e.publisher.name,
                "producer_uri": e.publisher.uri,
                "vintage": vintage(e),
                "licence": e.licence,
                "licence_url": e.licence_url,
                "updated_at": (updated or {}).get(e.identifier),
                "synthetic": e.synthetic,
            }
            for e in entries
        ],
    }


def export_metadata(prov: Mapping[str, Any]) -> dict[str, str]:
    """Flat key/value metadata for export files (Parquet key-value metadata, CSVW sidecars)."""
    sources = prov.get("sources", [])
    return {
        "territoria:synthetic": "true" if prov.get("synthetic") else "false",
        **({"territoria:note": SYNTHETIC_LABEL} if prov.get("synthetic") else {}),
        "territoria:producers": "; ".join(dict.fromkeys(s["producer"] for s in sources)),
        "territoria:licences": "; ".join(dict.fromkeys(s["licence"] for s in sources)),
        "territoria:vintages": "; ".join(f"{s['id']}: {s['vintage'] or 'n.c.'}" for s in sources),
        "territoria:sources": "; ".join(s["id"] for s in sources),
    }
