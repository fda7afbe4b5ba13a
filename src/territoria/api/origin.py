"""The address the API is reached at behind a proxy: ``public_url`` in ``territory.yaml``.

The links the API writes (DCAT distributions and landing pages, OGC links, a dataset's files)
are built from the request, and without ``public_url`` its host is the request's ``Host`` header,
which any client may set: a cache in front of the server that does not vary on ``Host`` would then
hand every harvester a feed whose links point to the sender's host. With ``public_url`` every
request is answered as a request to that address, whatever ``Host`` says, and the response cache
keeps one copy of an answer instead of one per ``Host``. A path in the address (a proxy serving
the API under ``/territoria``) becomes the ASGI ``root_path``: the proxy passes paths without it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_PORTS = {"http": 80, "https": 443}


class PublicOrigin:
    """ASGI middleware: the request's scheme, host and root path are those of ``url`` (checked
    when ``territory.yaml`` was read: ``workspace.model.TerritoryConfig.public_url``)."""

    def __init__(self, app: ASGIApp, url: str) -> None:
        self.app = app
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc.encode("idna" if not parts.netloc.isascii() else "ascii")
        self.server = (parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme])
        self.root_path = parts.path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = {
                **scope,
                "scheme": self.scheme,
                "server": self.server,
                "root_path": self.root_path,
                "headers": [(b"host", self.netloc), *headers],
            }
        await self.app(scope, receive, send)


__all__ = ["PublicOrigin"]
