"""Opendatasoft Explore API v2.1 (data.rennesmetropole.fr, data.enedis.fr, opendata.agenceore.fr...).

Change detection reads the dataset's metadata (``metas.default.modified`` and
``data_processed``): when neither moved and the query is the same, nothing is downloaded.

- ``mode: export`` (default): a full pull through ``/exports/{format}``, which has no row limit,
  streamed into the landing area;
- ``mode: records``: ``/records`` pages of at most 100 rows, never beyond ``offset + limit =
  10 000`` (the API's hard limit); for more rows, use exports. Lands Parquet.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from territoria.connectors.http.client import HttpClient, HttpOptions, expect
from territoria.connectors.http.payloads import land_records
from territoria.connectors.spec import (
    CheckResult,
    FetchContext,
    FetchResult,
    check_declared_fields,
    landed_result,
    still_landed,
    unchanged_result,
)
from territoria.core.errors import SourceError
from territoria.core.hashing import stable_hash
from territoria.landing import LandedObject, Landing

API = "api/explore/v2.1"
PAGE = 100
DEPTH = 10_000
API_NAME = "Opendatasoft Explore API v2.1"


class OdsOptions(HttpOptions):
    #: the portal's root, e.g. https://data.rennesmetropole.fr
    portal: str
    dataset: str
    mode: Literal["export", "records"] = "export"
    #: export format (csv, parquet, geojson); records always land as parquet
    format: Literal["csv", "parquet", "geojson"] | None = None
    where: str | None = None
    select: str | None = None
    refine: list[str] = Field(default_factory=list)
    order_by: str | None = None
    #: at most this many rows (records mode: ≤ 10 000)
    limit: int | None = None
    read: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults(self) -> OdsOptions:
        if self.mode == "records":
            if self.format not in (None, "parquet"):
                raise ValueError("records mode lands Parquet: drop `format` or use mode: export")
            self.format = "parquet"
            if self.limit is not None and self.limit > DEPTH:
                raise ValueError(f"records mode reads at most {DEPTH} rows; use mode: export for more")
        elif self.format is None:
            self.format = "csv"
        if self.format == "csv" and "delimiter" not in self.read:
            self.read = {**self.read, "delimiter": ";"}
        return self

    def base(self) -> str:
        return f"{self.portal.rstrip('/')}/{API}/catalog/datasets/{self.dataset}"

    def key(self) -> str:
        """What was asked: a change of it is a change of the source."""
        return stable_hash([self.mode, self.format, self.query(), self.limit])

    def query(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "select": self.select,
            "refine": self.refine or None,
            "order_by": self.order_by,
        }


def dataset_metadata(client: HttpClient, options: OdsOptions) -> dict[str, Any]:
    doc, _ = client.get_json(options.base())
    if isinstance(doc, dict) and isinstance(doc.get("dataset"), dict):  # v2.0-style envelope
        doc = doc["dataset"]
    where = f"source {client.dataset!r}: dataset {options.dataset!r} on {options.portal}"
    metas = expect(doc, "metas", dict, where, API_NAME)
    default = expect(metas, "default", dict, where, API_NAME)
    expect(doc, "fields", list, where, API_NAME)
    meta: dict[str, Any] = dict(doc)
    meta["_version"] = {"modified": default.get("modified"), "data_processed": default.get("data_processed")}
    return meta


class OdsConnector:
    kind: ClassVar[str] = "ods"
    Options: ClassVar[type[BaseModel]] = OdsOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, OdsOptions)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            meta = dataset_metadata(client, options)
            state = {
                "version": meta["_version"],
                "query": options.key(),
                "fields": {f.get("name"): f.get("type") for f in meta["fields"] if isinstance(f, dict)},
            }
            headers: dict[str, Any] = {"modified": meta["_version"]["modified"]}
            previous_fields = prev.get("fields") or {}
            gone = sorted(set(previous_fields) - set(state["fields"]))
            if gone:
                headers["fields_removed"] = gone
            retyped = sorted(k for k, v in state["fields"].items() if k in previous_fields and previous_fields[k] != v)
            if retyped:
                headers["fields_retyped"] = {k: [previous_fields[k], state["fields"][k]] for k in retyped}
            published = [str(k) for k in state["fields"]]
            if options.select is None:
                check_declared_fields(ctx, published, f"dataset {options.dataset!r} on {options.portal}")
            if still_landed(ctx) and prev.get("version") == state["version"] and prev.get("query") == state["query"]:
                url = client.public_url(options.base())
                return unchanged_result(
                    ctx, self.kind, url, "portal metadata `modified` unchanged", prev, request=client.request_record()
                )
            if options.mode == "export":
                url, landed, dl_headers = self._export(client, options, ctx.landing)
                headers.update(dl_headers)
            else:
                url, landed, rows = self._records(client, options, ctx.landing)
                headers["rows"] = rows
            request = client.request_record()
        return landed_result(ctx, self.kind, url, landed, state, request=request, headers=headers)

    def _export(self, client: HttpClient, options: OdsOptions, landing: Landing) -> tuple[str, LandedObject, Any]:
        url = f"{options.base()}/exports/{options.format}"
        params = {**options.query(), "limit": options.limit if options.limit is not None else -1}
        if options.format == "csv":
            params["delimiter"] = ";"
        dl = client.download(url, landing, params=params)
        assert dl.landed is not None
        return client.public_url(url, params), dl.landed, dl.headers

    def _records(self, client: HttpClient, options: OdsOptions, landing: Landing) -> tuple[str, LandedObject, int]:
        url = f"{options.base()}/records"
        wanted = options.limit if options.limit is not None else DEPTH
        rows: list[dict[str, Any]] = []
        total = None
        while total is None or len(rows) < min(total, wanted):
            offset = len(rows)
            limit = min(PAGE, wanted - offset, DEPTH - offset)
            doc, _ = client.get_json(url, params={**options.query(), "limit": limit, "offset": offset})
            where = f"source {client.dataset!r}: {client.public_url(url)}"
            total = expect(doc, "total_count", int, where, API_NAME)
            page = expect(doc, "results", list, where, API_NAME)
            if options.limit is None and total > DEPTH:
                raise SourceError(
                    f"source {client.dataset!r}: {total} records match, and the records endpoint serves at most "
                    f"{DEPTH} (offset + limit ≤ {DEPTH})",
                    hint="use `mode: export` (no row limit) or narrow the query with `where`/`refine`",
                )
            if not page:
                break
            if not all(isinstance(r, dict) for r in page):
                raise SourceError(f"{where}: `results` should hold objects", hint="check the portal URL")
            rows.extend(page)
        return client.public_url(url, options.query()), land_records(landing, rows), len(rows)

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, OdsOptions)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            meta = dataset_metadata(client, options)
            url = client.public_url(options.base())
        if not still_landed(ctx):
            return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
        if prev.get("query") != options.key():
            return CheckResult(True, "the source's query changed", url)
        same = prev.get("version") == meta["_version"]
        return CheckResult(not same, f"portal `modified` {'unchanged' if same else 'changed'}", url)
