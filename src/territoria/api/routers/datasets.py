"""Published datasets: rows with filters, sorting and pagination; exports in every registered format.

Filters are ``filter=column:op:value`` (repeatable) with ``op`` one of eq, ne, lt, le, gt, ge,
in (values separated by ``|``), like (contains, case-insensitive). Column names are checked
against the dataset's columns and values are bound as parameters, never pasted into SQL.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask

from territoria.api.deps import Pub, Purpose, Who
from territoria.api.errors import ApiError
from territoria.api.routers import catalog, indicators
from territoria.api.routers.indicator_filters import CATEGORIES
from territoria.core.errors import UserError
from territoria.core.params import WholeNumber
from territoria.core.serves import serves
from territoria.core.suggest import did_you_mean
from territoria.engines.base import quote_ident
from territoria.publication.export import snapshot_column_metadata
from territoria.publication.formats import ExportJob, formats, get_format
from territoria.publication.provenance import export_metadata
from territoria.publication.reader import DatasetMeta, Publication

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

DatasetId = Annotated[str, Path(max_length=100, description="Dataset id, as in GET /api/catalog")]
OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
MAX_FILTERS = 20


def _column(meta: DatasetMeta, name: str) -> tuple[str, str]:
    for col, typ in meta.columns:
        if col == name:
            return col, typ
    names = [c for c, _ in meta.columns]
    raise ApiError(400, f"dataset {meta.id!r} has no column {name[:60]!r}", hint=did_you_mean(name, names))


def where_clause(meta: DatasetMeta, filters: list[str]) -> tuple[str, list[Any]]:
    if len(filters) > MAX_FILTERS:
        raise ApiError(400, f"at most {MAX_FILTERS} filters", hint="combine values with the `in` operator")
    parts: list[str] = []
    params: list[Any] = []
    for raw in filters:
        col, sep, rest = raw.partition(":")
        op, sep2, value = rest.partition(":")
        if not sep or not sep2:
            raise ApiError(400, f"filter {raw[:80]!r} is not column:op:value", hint="e.g. filter=code:eq:35238")
        name, typ = _column(meta, col)
        if typ.upper().startswith("GEOMETRY"):
            raise ApiError(400, f"cannot filter on the geometry column {name!r}", hint="use the OGC API bbox")
        ident = quote_ident(name)
        if op in OPS:
            parts.append(f"{ident} {OPS[op]} CAST(? AS {typ})")
            params.append(value)
        elif op == "in":
            values = value.split("|")[:1000]
            parts.append(f"{ident} IN ({', '.join(f'CAST(? AS {typ})' for _ in values)})")
            params.extend(values)
        elif op == "like":
            parts.append(f"CAST({ident} AS VARCHAR) ILIKE ? ESCAPE '\\'")
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        else:
            raise ApiError(
                400, f"unknown filter operator {op[:20]!r}", hint=f"one of {', '.join([*OPS, 'in', 'like'])}"
            )
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


#: the columns of an indicator whose values ``indicators.check_filters`` checks
CHECKED = ("mesh", "code", "period", *CATEGORIES)


def _asked(filters: list[str]) -> dict[str, list[str]]:
    """The values an indicator's rows are filtered on by equality (``eq``, ``in``), per column."""
    asked: dict[str, list[str]] = {}
    for raw in filters[:MAX_FILTERS]:
        column, _, rest = raw.partition(":")
        op, _, value = rest.partition(":")
        if column in CHECKED and op in ("eq", "in"):
            asked.setdefault(column, []).extend(value.split("|")[:1000] if op == "in" else [value])
    return asked


def order_clause(meta: DatasetMeta, sort: str | None) -> str:
    if not sort:
        return ""
    keys = []
    for item in sort.split(",")[:10]:
        desc = item.startswith("-")
        name, typ = _column(meta, item.lstrip("-+"))
        if typ.upper().startswith("GEOMETRY"):
            raise ApiError(400, "cannot sort on a geometry column")
        keys.append(f"{quote_ident(name)} {'DESC' if desc else 'ASC'}")
    return " ORDER BY " + ", ".join(keys)


def _select_list(meta: DatasetMeta) -> str:
    geom = meta.geometry
    if geom is None:
        return "*"
    return f"* REPLACE (ST_AsGeoJSON({quote_ident(geom)}) AS {quote_ident(geom)})"


def query_rows(
    pub: Publication, meta: DatasetMeta, filters: list[str], sort: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where, params = where_clause(meta, filters)
    try:
        total = pub.cursor().execute(f"SELECT count(*) FROM {meta.relation}{where}", params).fetchall()[0][0]
        rows = pub.rows(
            f"SELECT {_select_list(meta)} FROM {meta.relation}{where}{order_clause(meta, sort)} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    except (
        duckdb.ConversionException,
        duckdb.InvalidInputException,
        duckdb.BinderException,
        duckdb.OutOfRangeException,
    ) as exc:
        raise ApiError(400, f"a filter value does not fit its column: {str(exc).splitlines()[0][:200]}") from exc
    geom = meta.geometry
    if geom:
        for r in rows:
            r[geom] = json.loads(r[geom]) if r[geom] else None
    return rows, int(total)


@router.get(
    "/{dataset_id}",
    summary="A published dataset's catalog page (as GET /api/catalog/{id})",
    openapi_extra=serves("public"),
)
def dataset_page(request: Request, pub: Pub, who: Who, dataset_id: DatasetId) -> JSONResponse:
    pub.dataset(dataset_id)
    return catalog.dataset_page(request, pub, who, dataset_id)


@router.get(
    "/{dataset_id}/rows",
    summary="Rows of a published dataset",
    openapi_extra=serves("dataset", "dataset_id", action="rows"),
)
def dataset_rows(
    request: Request,
    pub: Pub,
    who: Who,
    dataset_id: DatasetId,
    purpose: Purpose = None,
    filter: Annotated[
        list[str] | None, Query(max_length=500, description="column:op:value (eq ne lt le gt ge in like)")
    ] = None,
    sort: Annotated[str | None, Query(max_length=500, description="columns, `-` for descending: `-value,code`")] = None,
    limit: Annotated[WholeNumber, Query(ge=1, le=10000)] = 100,
    offset: Annotated[WholeNumber, Query(ge=0, le=10**9)] = 0,
) -> JSONResponse:
    meta = pub.dataset(dataset_id)
    if dataset_id in pub.indicators and filter:
        # an indicator's places, periods and categories are checked as on its values route
        indicators.check_filters(request, pub, who, dataset_id, _asked(filter))
    rows, total = query_rows(pub, meta, filter or [], sort, limit, offset)
    columns = [{"name": c, "type": t} for c, t in meta.columns]
    return JSONResponse(
        {"dataset": dataset_id, "columns": columns, "rows": rows, "total": total, "limit": limit, "offset": offset}
    )


class ExportRoute(APIRoute):
    """The export route: its documented media types are the formats registered when the
    OpenAPI document is drawn, so a format plugin is documented with no change here."""

    @property
    def responses(self) -> dict[int | str, dict[str, Any]]:
        content: dict[str, Any] = {f.media_type: {} for f in formats().values()}
        return {**self._responses, 200: {"content": content, "description": "the file"}}

    @responses.setter
    def responses(self, value: dict[int | str, dict[str, Any]] | None) -> None:
        self._responses = dict(value or {})


def dataset_export(
    request: Request,
    pub: Pub,
    dataset_id: DatasetId,
    purpose: Purpose = None,
    format: Annotated[
        str, Query(max_length=40, description="An export format: `territoria export --help` lists them")
    ] = "csv",
) -> FileResponse:
    try:
        export_format = get_format(format)
    except UserError as exc:
        raise ApiError(422, exc.message, hint=exc.hint) from exc
    meta = pub.dataset(dataset_id)
    base = str(request.base_url).rstrip("/")
    boundaries = "geo.communes" if pub.boundaries else None
    tmp = FsPath(tempfile.mkdtemp(prefix="territoria-export-"))
    dest = tmp / f"{dataset_id}.{export_format.extension}"
    # the CLI's French CSV, from the publication: Table Schema titles as headers, declared decimals
    titles, decimals = snapshot_column_metadata(meta.doc, pub.indicators.get(dataset_id))
    job = ExportJob(
        pub.engine,
        meta.relation,
        meta.columns,
        dest,
        dataset_id,
        boundaries,
        f"{base}/datasets/{dataset_id}",
        titles,
        decimals,
        metadata=export_metadata(meta.doc),
    )
    try:
        export_format.check(job)
    except UserError as exc:
        tmp.rmdir()
        raise ApiError(400, exc.message, hint=exc.hint) from exc
    export_format.write(job)

    def cleanup() -> None:
        dest.unlink(missing_ok=True)
        tmp.rmdir()

    return FileResponse(
        dest,
        media_type=export_format.media_type,
        filename=dest.name,
        background=BackgroundTask(cleanup),
        # every format says whether the data is invented, even those without a metadata slot
        headers={"Territoria-Synthetic": "true" if meta.doc.get("synthetic") else "false"},
    )


router.add_api_route(
    "/{dataset_id}/export",
    dataset_export,
    methods=["GET"],
    summary="Download a published dataset",
    route_class_override=ExportRoute,
    openapi_extra=serves("dataset", "dataset_id", action="export"),
)
