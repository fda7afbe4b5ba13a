"""WFS 2.0 GetFeature with GeoJSON output, paged with ``count`` and ``startIndex``.

Lands one GeoJSON FeatureCollection; OGC exception reports (XML) become clear errors.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from territoria.connectors.http.client import HttpClient, HttpOptions
from territoria.connectors.http.features import Page, land_features
from territoria.connectors.ogcapi.connector import compare_count
from territoria.connectors.spec import CheckResult, FetchContext, FetchResult, landed_result

API_NAME = "WFS 2.0 standard (GeoJSON output)"


class WfsOptions(HttpOptions):
    #: the service endpoint, e.g. https://example.org/geoserver/wfs
    url: str
    #: the feature type, e.g. ``rennes:communes``
    typename: str
    srs_name: str = "EPSG:4326"
    output_format: str = "application/json"
    bbox: list[float] | None = None
    #: features per page
    count: int = 1000
    format: Literal["geojson"] = "geojson"
    read: dict[str, Any] = Field(default_factory=dict)

    def query(self, start: int, count: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "service": "WFS",
            "version": "2.0.0",
            "request": "GetFeature",
            "typeNames": self.typename,
            "outputFormat": self.output_format,
            "srsName": self.srs_name,
            "count": count or self.count,
            "startIndex": start,
        }
        if self.bbox:
            params["bbox"] = ",".join(f"{v:g}" for v in self.bbox) + f",{self.srs_name}"
        return params


class WfsConnector:
    kind: ClassVar[str] = "wfs"
    Options: ClassVar[type[BaseModel]] = WfsOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, WfsOptions)

        def read_page(doc: Any, url: str, params: dict[str, Any] | None) -> Page:
            assert params is not None
            features = doc["features"]
            matched = doc.get("numberMatched", doc.get("totalFeatures"))
            start = int(params["startIndex"]) + len(features)
            more = len(features) == options.count and (not isinstance(matched, int) or start < matched)
            following = (url, options.query(start)) if more else None
            return features, matched if isinstance(matched, int) else None, following

        with HttpClient(ctx.dataset, options) as client:
            first = (options.url, options.query(0))
            landed, count, _ = land_features(client, ctx.landing, first, read_page, API_NAME)
            url = client.public_url(options.url, {k: v for k, v in options.query(0).items() if k != "startIndex"})
            request = client.request_record()
        headers = {"features": count}
        return landed_result(ctx, self.kind, url, landed, {"count": count}, request=request, headers=headers)

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, WfsOptions)
        with HttpClient(ctx.dataset, options) as client:
            doc, _ = client.get_json(options.url, params=options.query(0, count=1))
            url = client.public_url(options.url, options.query(0))
        matched = doc.get("numberMatched", doc.get("totalFeatures")) if isinstance(doc, dict) else None
        return compare_count(ctx, matched, url)
