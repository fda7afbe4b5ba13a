"""Hub'Eau (hubeau.eaufrance.fr): paged JSON APIs on water.

Pages are requested with ``page`` and ``size``; the API answers 206 Partial Content while more
pages exist and 200 on the last one, and refuses to go deeper than ``page × size`` = 20 000
results. A query matching more fails before downloading, asking to narrow it. Hub'Eau publishes
no modification date: the payload is downloaded and compared by content hash (an identical
payload is stored once and triggers no downstream work).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from territoria.connectors.http.client import HttpClient, HttpOptions, expect
from territoria.connectors.http.payloads import land_records
from territoria.connectors.spec import CheckResult, FetchContext, FetchResult, landed_result, still_landed
from territoria.core.errors import SourceError

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
    doc, resp = client.get_json(options.url(), params={**options.filters(), "page": page, "size": size}, ok=(200, 206))
    where = f"source {client.dataset!r}: {client.public_url(options.url())}"
    count = expect(doc, "count", int, where, API_NAME)
    data = expect(doc, "data", list, where, API_NAME)
    return count, data, resp.status_code == 206


class HubeauConnector:
    kind: ClassVar[str] = "hubeau"
    Options: ClassVar[type[BaseModel]] = HubeauOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, HubeauOptions)
        rows: list[dict[str, Any]] = []
        with HttpClient(ctx.dataset, options) as client:
            page, more, count = 1, True, 0
            while more:
                count, data, more = read_page(client, options, page, options.size)
                if count > DEPTH:
                    raise SourceError(
                        f"source {ctx.dataset!r}: {count} results match, and Hub'Eau serves at most {DEPTH} "
                        "(page × size)",
                        hint="narrow the query (a shorter date range, fewer communes) or split it into several sources",
                    )
                rows.extend(d for d in data if isinstance(d, dict))
                if len(data) < options.size or page * options.size >= count:
                    break
                page += 1
            url = client.public_url(options.url(), options.filters())
            request = client.request_record()
        if len(rows) != count:
            raise SourceError(
                f"source {ctx.dataset!r}: Hub'Eau announced {count} results but served {len(rows)}",
                hint="the data changed while paging; run again",
            )
        landed = land_records(ctx.landing, rows)
        state = {"count": count}
        return landed_result(ctx, self.kind, url, landed, state, request=request, headers={"rows": count})

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
