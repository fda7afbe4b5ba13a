"""Download one file over HTTP(S): conditional requests, then content hashing.

``file://`` URLs are accepted only inside the workspace (delegated to the file connector);
every other scheme is refused.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from territoria.connectors.files.connector import FileConnector, FileOptions
from territoria.connectors.http.client import HttpClient, HttpOptions
from territoria.connectors.spec import (
    CheckResult,
    FetchContext,
    FetchResult,
    landed_result,
    still_landed,
    unchanged_result,
)


class DownloadOptions(HttpOptions):
    url: str
    format: str = "csv"
    #: reader options (delimiter, encoding, sheet, crs...), see connectors.formats
    read: dict[str, Any] = Field(default_factory=dict)


def validators(headers: dict[str, str]) -> dict[str, Any]:
    return {"etag": headers.get("etag"), "last_modified": headers.get("last-modified")}


class HttpConnector:
    kind: ClassVar[str] = "http"
    Options: ClassVar[type[BaseModel]] = DownloadOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, DownloadOptions)
        if options.url.lower().startswith("file://"):
            local = FileOptions(path=options.url, format=options.format, read=options.read)
            return FileConnector().fetch(local, ctx)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            url = client.public_url(options.url)
            conditional = still_landed(ctx) and bool(prev.get("etag") or prev.get("last_modified"))
            dl = client.download(options.url, ctx.landing, previous=prev)
            request = client.request_record(conditional)
        if dl.landed is None:
            return unchanged_result(
                ctx, self.kind, url, "HTTP 304 Not Modified", prev, request=request, headers=dl.headers
            )
        return landed_result(
            ctx, self.kind, url, dl.landed, validators(dl.headers), request=request, headers=dl.headers
        )

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, DownloadOptions)
        if options.url.lower().startswith("file://"):
            return CheckResult(None, "local file: checked at the next run (size and mtime)", options.url)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            url = client.public_url(options.url)
            headers = client.call(options.url, lambda r: {k.lower(): v for k, v in r.headers.items()}, method="HEAD")
        return compare_validators(prev, validators(headers), url, still_landed(ctx))


def compare_validators(prev: dict[str, Any], now: dict[str, Any], url: str, landed: bool) -> CheckResult:
    if not landed:
        return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
    for key in ("etag", "last_modified"):
        if now.get(key) and prev.get(key):
            same = now[key] == prev[key]
            return CheckResult(not same, f"{key.replace('_', '-')} {'unchanged' if same else 'changed'}", url)
    return CheckResult(None, "the server sends neither ETag nor Last-Modified", url)
