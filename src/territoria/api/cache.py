"""Responses to anonymous reads of open published data, kept per publication.

A snapshot does not change once published: the answer to the same anonymous GET of an open
indicator, boundary or OGC page is the same bytes until the next publication or a change of
``policies.yaml``. This ASGI middleware keeps those answers and serves them again without
running the route. It never changes who may read what:

- only requests without credentials (no ``Authorization``, no cookie) are looked up or stored;
- a response is stored only if the access check (``api.deps.guard``) let it through as a read
  of public or open data (it marks the request so): a read that is audited, refused or served to
  a role is never kept;
- the key holds the publication's run id and the policy file's stamp, so a new snapshot or a
  new policy is never answered from an older one; and the request's host, path, query and
  ``Accept*`` headers, so links built from the request stay right.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the routes that answer from the publication alone (not from live sensors or run records)
PREFIXES = ("/api/indicators", "/api/geo/", "/ogc")
#: the request scope key the access check sets when a response may be kept
CACHEABLE = "territoria.cacheable"
MAX_ENTRIES = 4096
MAX_BYTES = 64 << 20
MAX_ENTRY_BYTES = 1 << 20
_VARY = (b"host", b"accept", b"accept-encoding", b"accept-language")
_CREDENTIALS = (b"authorization", b"cookie")


class PublishedResponseCache:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state  # api.deps.ApiState
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._bytes = 0

    def _key(self, scope: Scope) -> tuple[Any, ...] | None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(PREFIXES):
            return None
        headers = dict(scope["headers"])
        if any(h in headers for h in _CREDENTIALS):
            return None
        pub = self.state.source.fresh()
        if pub is None:  # a new snapshot is being loaded: let the route do it
            return None
        policy = self.state.policies.stamp()
        vary = tuple(headers.get(h, b"") for h in _VARY)
        return (pub.run_id, policy, scope.get("scheme"), scope["path"], scope.get("query_string", b""), vary)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        run_id = getattr(scope.get("state", {}).get("publication"), "run_id", None)
        if started.get("status") != 200 or not scope.get(CACHEABLE) or run_id != key[0]:
            return
        headers = list(started.get("headers", []))
        if any(k.lower() == b"set-cookie" for k, _ in headers):
            return
        body = b"".join(chunks)
        if len(body) > MAX_ENTRY_BYTES:
            return
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (200, headers, body)
                self._bytes += len(body)
            while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
                _, (_, _, old) = self._entries.popitem(last=False)
                self._bytes -= len(old)
