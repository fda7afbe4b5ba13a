"""The catalog: every dataset with metadata, Table Schema, freshness, access, last runs, quarantine."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from territoria.api import scrub
from territoria.api.deps import Pub, Who, closed, level_of, protected, readable
from territoria.api.routers.runs import blurred_starts
from territoria.core.serves import FiguresShown, readable_in, serves
from territoria.governance.figures import STEP_FIGURES, at_run_start, step_visible, withhold
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api/catalog", tags=["catalog"])

SUMMARY = (
    "id",
    "title",
    "description",
    "kind",
    "layer",
    "pack",
    "access",
    "published",
    "rows",
    "updated_at",
    "freshness",
    "last_status",
    "quarantined",
    "synthetic",
    "geometry",
    "to_fill",
    "not_published",
)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _matches(doc: dict[str, Any], q: str) -> bool:
    hay = " ".join([doc["id"], doc["title"], doc.get("description") or "", *doc.get("keywords", [])])
    return all(word in _fold(hay) for word in _fold(q).split())


def last_runs(pub: Publication, step: str, limit: int = 5) -> list[dict[str, Any]]:
    """The ``limit`` latest records of ``step``, with the datasets it read and wrote (``inputs``,
    ``outputs``: what decides who sees their figures)."""
    return pub.rows(
        "SELECT run_id, status, reason, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, "
        "rows_in, rows_out, rows_quarantined, wall_s, error, step, inputs::VARCHAR AS inputs, "
        "outputs::VARCHAR AS outputs FROM meta.step_runs WHERE step = ? ORDER BY started_at DESC LIMIT ?",
        [step, limit],
    )


def _summary(doc: dict[str, Any], level: str, can_read: bool) -> dict[str, Any]:
    found = {**{k: doc.get(k) for k in SUMMARY}, "access": level, "readable": can_read}
    return found if can_read else scrub.counts(found)


@router.get("", summary="Search the catalog", openapi_extra=serves("public"))
def search_catalog(
    request: Request,
    pub: Pub,
    who: Who,
    q: Annotated[str | None, Query(max_length=200, description="Words to find in id, title, description")] = None,
    access: Annotated[str | None, Query(pattern="^(open|restricted|personal)$")] = None,
    kind: Annotated[str | None, Query(pattern="^(source|model|indicator)$")] = None,
) -> JSONResponse:
    # the effective level (what this API enforces), as on the dataset's own page
    found = [(d, level_of(request, d).value) for d in pub.datasets.values()]
    docs = [
        _summary(d.doc, level, readable(request, who, d))
        for d, level in found
        if (not q or _matches(d.doc, q)) and (not access or level == access)
        if not kind or d.doc["kind"] == kind
    ]
    return JSONResponse({"datasets": docs, "total": len(docs), "run_id": pub.run_id})


@router.get("/{dataset_id}", summary="One dataset's page", openapi_extra=serves("public"))
def dataset_page(
    request: Request, pub: Pub, who: Who, dataset_id: Annotated[str, Path(max_length=100)]
) -> JSONResponse:
    meta = pub.dataset(dataset_id, published=False)
    doc = dict(meta.doc)
    doc["readable"] = readable(request, who, meta)
    doc["last_runs"] = last_runs(pub, doc["step"])
    may_read = FiguresShown(request.scope, "catalog-page")
    # a run with a step the caller does not see: its steps' times are its start (``governance.figures``);
    # asked apart from ``may_read``, which records the datasets whose figures the page shows
    blurred = blurred_starts(pub, [r["run_id"] for r in doc["last_runs"]], readable_in(request.scope))
    for run in doc["last_runs"]:
        run["error"] = scrub.error(who, run["error"])
        # the figures of a step over data the caller may not read (the dataset's own, or an input
        # of a dataset released below its inputs' level) are withheld (``governance.figures``)
        if not step_visible(run, may_read):
            withhold(run, STEP_FIGURES)
        if run["run_id"] in blurred:
            at_run_start(run, blurred[run["run_id"]])
        for key in ("step", "inputs", "outputs"):
            del run[key]
    may_read.audit()
    if not doc["readable"]:
        scrub.counts(doc)
    doc["access"] = level_of(request, meta).value  # the effective level: what this API enforces
    doc["lineage"] = scrub.lineage(who, pub.lineage(dataset_id), closed(request, pub), protected(request, pub))
    links = {"lineage": f"/api/catalog/{dataset_id}"}
    if doc["published"]:
        links = {
            "rows": f"/api/datasets/{dataset_id}/rows",
            "export": f"/api/datasets/{dataset_id}/export?format=csv",
        }
    if pub.quarantined.get(dataset_id) and doc["readable"]:
        links["quarantine"] = f"/api/datasets/{dataset_id}/quarantine"
    if dataset_id in pub.indicators:
        links["values"] = f"/api/indicators/{dataset_id}/values"
    doc["links"] = links
    return JSONResponse(doc)
