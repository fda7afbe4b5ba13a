"""Indicators: definitions, values by mesh, territory and period (with quality flags), lineage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from territoria.api import scrub
from territoria.api.deps import Pub, Purpose, Who, closed, level_of, protected, readable
from territoria.api.routers.indicator_filters import (
    CATEGORIES,
    Places,
    check_category,
    check_code,
    check_mesh,
    check_period,
    meshes_of,
)
from territoria.core.params import WholeNumber
from territoria.core.serves import serves
from territoria.publication.reader import Publication

router = APIRouter(prefix="/api/indicators", tags=["indicators"])

IndicatorId = Annotated[str, Path(max_length=100, description="Indicator id, e.g. `densite_population`.")]
MAX_LIMIT = 10000


class Indicator(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    title: str
    description: str
    unit: str
    version: int
    pack: str | None
    meshes: list[str]
    periods: list[Any]
    formula: str
    higher_is_better: bool | None
    access: str
    readable: bool
    #: true when any source it is computed from is synthetic (demonstration data)
    synthetic: bool = False
    #: the sources it is computed from: producer, vintage, licence, last update of each
    sources: list[dict[str, Any]] = []


class IndicatorValues(BaseModel):
    indicator: Indicator
    values: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class LineageTree(BaseModel):
    name: str
    layer: str
    hash: str | None
    children: list[LineageTree]


def indicator_rows(pub: Publication, indicator_id: str) -> list[dict[str, Any]]:
    """Every value of an indicator, as JSON-ready dicts (cached for the snapshot's life)."""

    def build() -> list[dict[str, Any]]:
        return pub.rows(f"SELECT * EXCLUDE (indicator) FROM {pub.dataset(indicator_id).relation}")

    rows: list[dict[str, Any]] = pub.cached(f"indicator-rows:{indicator_id}", build)
    return rows


def _static_description(pub: Publication, indicator_id: str) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        definition = pub.indicator(indicator_id)
        rows = indicator_rows(pub, indicator_id)
        return {
            "id": definition["id"],
            "title": definition["title"],
            "description": definition["description"],
            "unit": definition["unit"],
            "version": definition["version"],
            "pack": definition.get("pack"),
            "meshes": list(dict.fromkeys(r["mesh"] for r in rows)) or definition["meshes"],
            "periods": sorted({r["period"] for r in rows}, key=str),
            "formula": definition["formula"],
            "higher_is_better": definition["higher_is_better"],
            "access": definition["access"],
            "decimals": definition.get("decimals"),
            "extra": definition.get("extra", {}),
            "synthetic": definition.get("synthetic", False),
            "sources": definition.get("sources", []),
        }

    found: dict[str, Any] = pub.cached(f"indicator-description:{indicator_id}", build)
    return found


def describe(pub: Publication, request: Request, who: Any, indicator_id: str) -> dict[str, Any]:
    meta = pub.dataset(indicator_id)
    found = {
        **_static_description(pub, indicator_id),
        "access": level_of(request, meta).value,  # the effective level: what this API enforces
        "readable": readable(request, who, meta),
    }
    if not found["readable"]:  # the years and meshes that have values are read from the values
        found.update(periods=[], meshes=pub.indicator(indicator_id)["meshes"])
    return found


def _by_place(pub: Publication, indicator_id: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Values indexed by (mesh, code): the most common query is one place's values."""

    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        index: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in indicator_rows(pub, indicator_id):
            index.setdefault((r["mesh"], r["code"]), []).append(r)
        return index

    found: dict[tuple[str, str], list[dict[str, Any]]] = pub.cached(f"indicator-index:{indicator_id}", build)
    return found


def _codes_by_mesh(pub: Publication, indicator_id: str) -> dict[str, set[str]]:
    def build() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for mesh, code in _by_place(pub, indicator_id):
            found.setdefault(mesh, set()).add(code)
        return found

    codes: dict[str, set[str]] = pub.cached(f"indicator-codes:{indicator_id}", build)
    return codes


def check_filters(request: Request, pub: Pub, who: Any, indicator_id: str, wanted: Mapping[str, list[str]]) -> None:
    """Refuse a mesh, code, period or category (sector, energy) that cannot be right
    (``indicator_filters``): ``wanted`` holds the values asked of each column."""
    rows = indicator_rows(pub, indicator_id)
    meshes: list[str] = pub.cached(f"indicator-meshes:{indicator_id}", lambda: meshes_of(pub, indicator_id, rows))
    for mesh in wanted.get("mesh", []):
        check_mesh(mesh, meshes, indicator_id)
    only = wanted.get("mesh", [])
    at = only[0] if len(only) == 1 else None
    codes = [c for c in wanted.get("code", []) if at is None or (at, c) not in _by_place(pub, indicator_id)]
    if codes:

        def codes_at(mesh: str) -> set[str]:  # the places of every indicator this caller may read
            readable_ids = [
                i for i in pub.indicators if i in pub.manifest["tables"] and readable(request, who, pub.dataset(i))
            ]
            return set().union(*(_codes_by_mesh(pub, i).get(mesh, set()) for i in readable_ids))

        own = _codes_by_mesh(pub, indicator_id)
        places = Places(pub, codes_at)
        for code in codes:
            check_code(places, code, at, meshes, lambda mesh: own.get(mesh, set()))
    for period in wanted.get("period", []):
        check_period(period, _static_description(pub, indicator_id)["periods"], indicator_id)
    for column in CATEGORIES:
        if wanted.get(column):
            known = pub.cached(f"indicator-{column}:{indicator_id}", lambda c=column: _categories(rows, c))
            for value in wanted[column]:
                check_category(column, value, known, indicator_id)


def _categories(rows: list[dict[str, Any]], column: str) -> set[str] | None:
    """The values of a breakdown column (None when the indicator has no such column)."""
    if not rows or column not in rows[0]:
        return None
    return {str(r[column]) for r in rows if r[column] is not None}


@router.get("", response_model=list[Indicator], summary="Every published indicator", openapi_extra=serves("public"))
async def list_indicators(request: Request, pub: Pub, who: Who) -> JSONResponse:
    ids = [i for i in pub.indicators if i in pub.manifest["tables"]]
    return JSONResponse([describe(pub, request, who, i) for i in ids])


@router.get(
    "/{indicator_id}", response_model=Indicator, summary="One indicator's definition", openapi_extra=serves("public")
)
async def get_indicator(request: Request, pub: Pub, who: Who, indicator_id: IndicatorId) -> JSONResponse:
    return JSONResponse(describe(pub, request, who, indicator_id))


@router.get(
    "/{indicator_id}/values",
    response_model=IndicatorValues,
    summary="Values with their quality flags",
    openapi_extra=serves("dataset", "indicator_id", action="indicator-values"),
)
async def indicator_values(
    request: Request,
    pub: Pub,
    who: Who,
    indicator_id: IndicatorId,
    purpose: Purpose = None,
    mesh: Annotated[
        str | None,
        Query(
            max_length=50,
            description="`commune`, `iris`, `epci` (`territoire` for a territory made of communes): "
            "the indicator lists its meshes",
        ),
    ] = None,
    code: Annotated[str | None, Query(max_length=50, description="INSEE code or SIREN")] = None,
    period: Annotated[str | None, Query(max_length=50, description="e.g. `2022` or `2025-06-01/2025-08-31`")] = None,
    limit: Annotated[WholeNumber, Query(ge=1, le=MAX_LIMIT)] = 1000,
    offset: Annotated[WholeNumber, Query(ge=0, le=10**9)] = 0,
) -> JSONResponse:
    info = describe(pub, request, who, indicator_id)
    given = {"mesh": mesh, "code": code, "period": period}
    check_filters(request, pub, who, indicator_id, {k: [v] for k, v in given.items() if v is not None})
    candidates = (
        _by_place(pub, indicator_id).get((mesh, code), [])
        if mesh is not None and code is not None
        else indicator_rows(pub, indicator_id)
    )
    rows = [
        r
        for r in candidates
        if (mesh is None or r["mesh"] == mesh)
        and (code is None or r["code"] == code)
        and (period is None or str(r["period"]) == period)
    ]
    body = {"indicator": info, "values": rows[offset : offset + limit], "total": len(rows), "limit": limit}
    body["offset"] = offset
    return JSONResponse(body)


@router.get(
    "/{indicator_id}/lineage",
    response_model=LineageTree,
    summary="Where the figure comes from",
    openapi_extra=serves("public"),
)
async def indicator_lineage(request: Request, pub: Pub, who: Who, indicator_id: IndicatorId) -> JSONResponse:
    pub.indicator(indicator_id)
    return JSONResponse(scrub.lineage(who, pub.lineage(indicator_id), closed(request, pub), protected(request, pub)))
