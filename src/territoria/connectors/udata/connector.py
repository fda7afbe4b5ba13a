"""data.gouv.fr (udata API v1): a dataset's current resource, fetched only when it changed.

The dataset is read from ``/datasets/{id}/``; the resource is the one named by ``resource``
(its id), else the most recently modified one matching ``resource_format`` / ``resource_title``.
Its ``checksum`` and ``last_modified`` decide whether to download; a file hosted by data.gouv.fr
must match its published checksum. The resource's schema reference (schema.data.gouv.fr
``name`` and ``version``) is recorded, and a change of it is reported.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from territoria.connectors.http.client import HttpClient, HttpOptions, expect
from territoria.connectors.spec import (
    CheckResult,
    FetchContext,
    FetchResult,
    landed_result,
    still_landed,
    unchanged_result,
)
from territoria.core.errors import SourceError

API_NAME = "data.gouv.fr API"
DEFAULT_API = "https://www.data.gouv.fr/api/1"


class UdataOptions(HttpOptions):
    api: str = DEFAULT_API
    #: dataset id or slug
    dataset: str
    #: resource id; when absent, the latest resource matching format/title
    resource: str | None = None
    resource_format: str | None = None
    resource_title: str | None = None
    format: str = "csv"
    read: dict[str, Any] = Field(default_factory=dict)


def dataset_doc(client: HttpClient, options: UdataOptions) -> dict[str, Any]:
    url = f"{options.api.rstrip('/')}/datasets/{options.dataset}/"
    doc, _ = client.get_json(url)
    where = f"source {client.dataset!r}: dataset {options.dataset!r}"
    expect(doc, "resources", list, where, API_NAME)
    expect(doc, "id", str, where, API_NAME)
    return dict(doc)


def pick_resource(doc: dict[str, Any], options: UdataOptions, dataset: str) -> dict[str, Any]:
    resources = [r for r in doc["resources"] if isinstance(r, dict) and isinstance(r.get("url"), str)]
    if options.resource:
        found = [r for r in resources if r.get("id") == options.resource]
    else:
        found = [
            r
            for r in resources
            if (not options.resource_format or str(r.get("format", "")).lower() == options.resource_format.lower())
            and (not options.resource_title or options.resource_title.lower() in str(r.get("title", "")).lower())
        ]
    if not found:
        listed = ", ".join(f"{r.get('id')} ({r.get('format')}: {r.get('title')})" for r in resources[:8]) or "none"
        raise SourceError(
            f"source {dataset!r}: no resource of dataset {options.dataset!r} matches "
            f"{options.resource or (options.resource_format, options.resource_title)}; resources: {listed}",
            hint="set `resource:` to one of the ids above, or adjust resource_format / resource_title",
        )
    return max(found, key=lambda r: str(r.get("last_modified") or ""))


def resource_version(res: dict[str, Any]) -> dict[str, Any]:
    checksum = res.get("checksum") if isinstance(res.get("checksum"), dict) else None
    schema = res.get("schema") if isinstance(res.get("schema"), dict) else None
    return {
        "resource": res.get("id"),
        "checksum": checksum,
        "last_modified": res.get("last_modified"),
        "schema": {k: schema.get(k) for k in ("name", "version")} if schema and schema.get("name") else None,
    }


def checksum_of(res: dict[str, Any], version: dict[str, Any]) -> tuple[str, str] | None:
    """The published checksum to verify while downloading (files hosted by data.gouv.fr only)."""
    checksum = version["checksum"]
    if res.get("filetype") == "remote" or not checksum or not checksum.get("value"):
        return None
    algo = str(checksum.get("type", "")).lower()
    return (algo, str(checksum["value"])) if algo in ("sha1", "sha256", "md5") else None


class UdataConnector:
    kind: ClassVar[str] = "udata"
    Options: ClassVar[type[BaseModel]] = UdataOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, UdataOptions)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            res = pick_resource(dataset_doc(client, options), options, ctx.dataset)
            version = resource_version(res)
            headers: dict[str, Any] = {"resource": version["resource"], "last_modified": version["last_modified"]}
            if version["schema"]:
                headers["schema"] = version["schema"]
            if prev.get("schema") and prev.get("schema") != version["schema"]:
                headers["schema_changed"] = {"from": prev["schema"], "to": version["schema"]}
            state = {**version, "url": res["url"]}
            same = all(prev.get(k) == version[k] for k in ("resource", "checksum", "last_modified"))
            if still_landed(ctx) and same and (version["checksum"] or version["last_modified"]):
                return unchanged_result(
                    ctx,
                    self.kind,
                    client.public_url(res["url"]),
                    "resource checksum and last_modified unchanged",
                    {**prev, **state},
                    request=client.request_record(),
                    headers=headers,
                )
            conditional = {
                "sha256": prev.get("sha256"),
                "etag": prev.get("etag"),
                "last_modified": prev.get("http_date"),
            }
            dl = client.download(
                res["url"],
                ctx.landing,
                previous=conditional if prev.get("url") == res["url"] else None,
                checksum=checksum_of(res, version),
            )
            request = client.request_record()
            url = client.public_url(res["url"])
        if dl.landed is None:
            return unchanged_result(ctx, self.kind, url, "HTTP 304 Not Modified", {**prev, **state}, request=request)
        state.update(etag=dl.headers.get("etag"), http_date=dl.headers.get("last-modified"))
        return landed_result(ctx, self.kind, url, dl.landed, state, request=request, headers={**headers, **dl.headers})

    def check(self, options: BaseModel, ctx: FetchContext) -> CheckResult:
        assert isinstance(options, UdataOptions)
        prev = ctx.previous_state or {}
        with HttpClient(ctx.dataset, options) as client:
            res = pick_resource(dataset_doc(client, options), options, ctx.dataset)
            url = client.public_url(res["url"])
        version = resource_version(res)
        if not still_landed(ctx):
            return CheckResult(True, "never fetched (or its payload was removed by retention)", url)
        if prev.get("resource") != version["resource"]:
            return CheckResult(True, "a newer resource replaced the previous one", url)
        same = prev.get("checksum") == version["checksum"] and prev.get("last_modified") == version["last_modified"]
        return CheckResult(not same, f"checksum/last_modified {'unchanged' if same else 'changed'}", url)
