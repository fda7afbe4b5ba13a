"""Hub'Eau (hubeau.eaufrance.fr): paged JSON APIs on water.

Pages are requested with ``page`` and ``size``; the API answers 206 Partial Content while more
pages exist and 200 on the last one, and refuses to go deeper than ``page × size`` = 20 000
results. A query matching more fails before downloading, asking to narrow it. Each answer's
``next`` link is followed as served (page or cursor APIs alike), provided it stays on the API's
origin; an answer without one falls back to the next page number. 429 answers are retried after
their ``Retry-After`` (the HTTP client's policy). A query with no result at all makes the source
wait (``WaitingForData``), it does not land an empty table. Hub'Eau publishes no modification
date: the payload is downloaded and compared by content hash (an identical payload is stored
once and triggers no downstream work).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator

from territoria.connectors.http.client import HttpClient, HttpOptions, expect
from territoria.connectors.http.payloads import land_records
from territoria.connectors.spec import CheckResult, FetchContext, FetchResult, landed_result, still_landed
from territoria.core.errors import SourceError, WaitingForData

API_NAME = "Hub'Eau API"
DEPTH = 20_000


class HubeauOptions(HttpOptions):
    api: str = "https://hubeau.eaufrance.fr"
    #: the endpoint path, e.g. /api/v1/qualite_eau_potable/resultats_dis
    endpoint: str
    #: filters, e.g. {code_commune: "35238", date_min_prelevement: "2024-01-01"}
    query: dict[str, str | int | float | list[str]] = Field(default_factory=dict)
    size: int = 5000
    format: Literal["parquet"] = "parquet"
    read: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _size(self) -> HubeauOptions:
        if not 1 <= self.size <= DEPTH:
            raise ValueError(f"size must be between 1 and {DEPTH}")
        return self

    def url(self) -> str:
        return f"{self.api.rstrip('/')}/{self.endpoint.lstrip('/')}"

    def filters(self) -> dict[str, Any]:
        return {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in self.query.items()}


def read_page(client: HttpClient, options: HubeauOptions, page: int, size: int) -> tuple[int, list[Any], bool]:
    doc, more = _page(client, options, options.url(), {**options.filters(), "page": page, "size": size})
    return doc["count"], doc["data"], more


def _page(
    client: HttpClient, options: HubeauOptions, url: str, params: dict[str, Any] | None
) -> tuple[dict[str, Any], bool]:
    """One answer, checked against the documented envelope, and whether more pages exist."""
    doc, resp = client.get_json(url, params=params, ok=(200, 206))
    where = f"source {client.dataset!r}: {client.public_url(url, params)}"
    expect(doc, "count", int, where, API_NAME)
    expect(doc, "data", list, where, API_NAME)
    return doc, resp.status_code == 206


def _next_link(doc: dict[str, Any], options: HubeauOptions, dataset: str) -> str | None:
    link = doc.get("next")
    if not isinstance(link, str) or not link:
        return None
    api, target = urlsplit(options.url()), urlsplit(link)
    if (target.scheme, target.netloc) != (api.scheme, api.netloc):
        raise SourceError(
            f"source {dataset!r}: Hub'Eau's `next` link leaves the API ({target.scheme}://{target.netloc})",
            hint="check the source's `api`: it should be the address the API itself answers from",
        )
    return link


class HubeauConnector:
    kind: ClassVar[str] = "hubeau"
    Options: ClassVar[type[BaseModel]] = HubeauOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, HubeauOptions)
        rows: list[dict[str, Any]] = []
        with HttpClient(ctx.dataset, options) as client:
            page = 1
            doc, more = _page(client, options, options.url(), {**options.filters(), "page": page, "size": options.size})
            count = doc["count"]
            self._check_depth(ctx.dataset, count)
            while True:
                rows.extend(d for d in doc["data"] if isinstance(d, dict))
                if not more or not doc["data"] or len(rows) >= count:
                    break
                link = _next_link(doc, options, ctx.dataset)
                page += 1
                if link is None:
                    doc, more = _page(
                        client, options, options.url(), {**options.filters(), "page": page, "size": options.size}
                    )
                else:
                    doc, more = _page(client, options, link, None)
            url = client.public_url(options.url(), options.filters())
            request = client.request_record()
        if count == 0:
            raise WaitingForData(
                f"source {ctx.dataset!r}: Hub'Eau has no result for this query ({url})",
                hint="check the filters (codes, dates); the source waits until results are published",
            )
        if len(rows) != count:
            raise SourceError(
                f"source {ctx.dataset!r}: Hub'Eau announced {count} results but served {len(rows)}",
                hint="the data changed while paging; run again",
            )
        landed = land_records(ctx.landing, rows)
        state = {"count": count}
        return landed_result(ctx, self.kind, url, landed, state, request=request, headers={"rows": count})

    @staticmethod
    def _check_depth(dataset: str, count: int) -> None:
        if count > DEPTH:
            raise SourceError(
                f"source {dataset!r}: {count} results match, and Hub'Eau serves at most {DEPTH} (page × size)",
                hint="narrow the query (a shorter date range, fewer communes) or split it into several sources",
            )

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, HubeauOptions)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            count, _, _ = read_page(client, options, 1, 1)
            url = client.public_url(options.url(), options.filters())
        if not still_landed(ctx):
            return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
        if count != prev.get("count"):
            return CheckResult(True, f"{count} results instead of {prev.get('count')}", url)
        return CheckResult(None, f"same number of results ({count}); Hub'Eau publishes no modification date", url)
