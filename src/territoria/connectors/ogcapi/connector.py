"""OGC API Features: a collection's items, paged through ``next`` links, optionally within a bbox.

The items land as one GeoJSON FeatureCollection (read by the ``geojson`` reader, geometry as
GEOMETRY). Features APIs publish no modification date: an identical payload is recognised by
its content hash, stored once and triggers no downstream work; ``territoria sources check``
compares ``numberMatched``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

from pydantic import BaseModel, Field, field_validator

from territoria.connectors.http.client import HttpClient, HttpOptions
from territoria.connectors.http.features import Page, land_features
from territoria.connectors.spec import CheckResult, FetchContext, FetchResult, landed_result, still_landed

API_NAME = "OGC API Features standard"


class OgcApiOptions(HttpOptions):
    #: the API's landing page, e.g. https://example.org/ogcapi
    url: str
    collection: str
    bbox: list[float] | None = None
    #: features per page
    limit: int = 1000
    #: property filters (``name=value`` query parameters)
    filters: dict[str, str] = Field(default_factory=dict)
    format: Literal["geojson"] = "geojson"
    read: dict[str, Any] = Field(default_factory=dict)

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and len(value) not in (4, 6):
            raise ValueError("bbox is [minx, miny, maxx, maxy] (or 6 numbers with heights)")
        return value

    def items(self) -> str:
        return f"{self.url.rstrip('/')}/collections/{self.collection}/items"

    def first_params(self, limit: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"f": "json", "limit": limit or self.limit, **self.filters}
        if self.bbox:
            params["bbox"] = ",".join(f"{v:g}" for v in self.bbox)
        return params


def read_page(doc: Any, url: str, params: dict[str, Any] | None) -> Page:
    following = None
    for link in doc.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            following = (urljoin(url, str(link["href"])), None)
    matched = doc.get("numberMatched")
    return doc["features"], matched if isinstance(matched, int) else None, following


class OgcApiConnector:
    kind: ClassVar[str] = "ogcapi"
    Options: ClassVar[type[BaseModel]] = OgcApiOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, OgcApiOptions)
        with HttpClient(ctx.dataset, options) as client:
            first = (options.items(), options.first_params())
            landed, count, _ = land_features(client, ctx.landing, first, read_page, API_NAME)
            url = client.public_url(*first)
            request = client.request_record()
        headers = {"features": count, "pages": len(request["attempts"])}
        return landed_result(ctx, self.kind, url, landed, {"count": count}, request=request, headers=headers)

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, OgcApiOptions)
        with HttpClient(ctx.dataset, options) as client:
            doc, _ = client.get_json(options.items(), params=options.first_params(limit=1))
            url = client.public_url(options.items(), options.first_params())
        return compare_count(ctx, doc.get("numberMatched") if isinstance(doc, dict) else None, url)


def compare_count(ctx: FetchContext, count: Any, url: str) -> CheckResult:
    prev = ctx.previous_state or {}
    if not still_landed(ctx):
        return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
    if isinstance(count, int) and count != prev.get("count"):
        return CheckResult(True, f"{count} features instead of {prev.get('count')}", url)
    return CheckResult(None, "the service publishes no modification date; the next run compares content hashes", url)
