"""Paged GeoJSON features (OGC API Features, WFS) streamed into one landed FeatureCollection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from territoria.connectors.http.client import HttpClient, expect
from territoria.connectors.http.payloads import FeatureCollectionWriter
from territoria.core.errors import SourceError
from territoria.landing import LandedObject, Landing

#: a page: (features, total announced or None, the next request or None)
Page = tuple[list[Any], int | None, tuple[str, dict[str, Any] | None] | None]
MAX_PAGES = 100_000


def land_features(
    client: HttpClient,
    landing: Landing,
    first: tuple[str, dict[str, Any] | None],
    read_page: Callable[[Any, str, dict[str, Any] | None], Page],
    api: str,
) -> tuple[LandedObject, int, int | None]:
    """Follow pages from ``first``; nothing lands unless every page was read."""
    seen: set[str] = set()
    total: int | None = None
    with landing.writer() as out:
        collection = FeatureCollectionWriter(out)
        request: tuple[str, dict[str, Any] | None] | None = first
        while request is not None:
            url, params = request
            key = client.public_url(url, params)
            if key in seen or len(seen) >= MAX_PAGES:
                raise SourceError(
                    f"source {client.dataset!r}: paging loops back to {key}",
                    hint="the server's `next` links do not progress; report it to the publisher",
                )
            seen.add(key)
            doc, _ = client.get_json(url, params=params)
            where = f"source {client.dataset!r}: {key}"
            if isinstance(doc, dict) and doc.get("type") != "FeatureCollection":
                doc = {**doc, "features": None}
            expect(doc, "features", list, where, api)
            features, announced, request = read_page(doc, url, params)
            total = announced if announced is not None else total
            collection.add(features)
            if not features:
                break
        collection.close()
    if total is not None and total != collection.count:
        raise SourceError(
            f"source {client.dataset!r}: the server announced {total} features but served {collection.count}",
            hint="the data changed while paging, or the server caps results: run again or narrow the query",
        )
    return landing.last, collection.count, total
