"""Rows a source's validation set aside (quarantine), page by page, for the people who fix them.

Each row comes with its line number in the received file, its raw values (as read, before
typing) and the reasons it failed, as validation records them (``"<field>: <check>"``, the
vocabulary the run reports use; the dashboard says them in French). Raw input may be personal:
the route declares ``raw_input`` (``core/serves.py``), so it is read at the dataset's level and
never by an anonymous caller unless the dataset is open.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from territoria.api.deps import Pub, Purpose
from territoria.core.params import WholeNumber
from territoria.core.serves import serves

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@router.get(
    "/{dataset_id}/quarantine",
    summary="Rows a source's validation set aside, with their line, raw values and reasons",
    openapi_extra=serves("dataset", "dataset_id", lookup="catalog", action="quarantine", raw_input=True),
)
def dataset_quarantine(
    pub: Pub,
    dataset_id: Annotated[str, Path(max_length=100, description="Dataset id, as in GET /api/catalog")],
    purpose: Purpose = None,
    limit: Annotated[WholeNumber, Query(ge=1, le=1000)] = 50,
    offset: Annotated[WholeNumber, Query(ge=0, le=10**9)] = 0,
) -> JSONResponse:
    pub.dataset(dataset_id, published=False)
    rows, total = pub.quarantine(dataset_id, limit, offset)
    return JSONResponse({"dataset": dataset_id, "rows": rows, "total": total, "limit": limit, "offset": offset})
