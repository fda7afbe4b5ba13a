"""A small threaded HTTP server on 127.0.0.1 (dynamic port) with fault injection.

Contract servers subclass ``Handler`` and implement ``route``. Faults are queued per path
prefix and consumed one request at a time, so a test can say "the next two requests to the
export get 429 with Retry-After: 1" or "close the connection in the middle of the body".
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Served:
    """What a test inspects and steers."""

    requests: list[Request] = field(default_factory=list)
    faults: dict[str, deque[str]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def fault(self, prefix: str, *kinds: str) -> None:
        self.faults.setdefault(prefix, deque()).extend(kinds)

    def take_fault(self, path: str) -> str | None:
        for prefix, queue in self.faults.items():
            if path.startswith(prefix) and queue:
                return queue.popleft()
        return None

    def hits(self, fragment: str) -> list[Request]:
        return [r for r in self.requests if fragment in r.path]


class Handler(BaseHTTPRequestHandler):
    served: Served
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        req = Request(method, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
        self.served.requests.append(req)
        fault = self.served.take_fault(parts.path)
        if fault and self.inject(fault):
            return
        self.route(req)

    def inject(self, fault: str) -> bool:
        if fault.startswith("429"):
            self.send_json(429, {"error_code": "TooManyRequests", "message": "quota exceeded"}, {"Retry-After": "1"})
        elif fault.startswith("redirect:"):
            self.send_bytes(302, b"", "text/plain", {"Location": fault.removeprefix("redirect:")})
        elif fault == "503":
            self.send_json(503, {"message": "maintenance"})
        elif fault == "html":
            body = b"<!DOCTYPE html><html><head><title>Erreur 500 - Portail</title></head><body>Oups</body></html>"
            self.send_bytes(200, body, "text/html; charset=utf-8")
        elif fault.startswith("gzip-bomb:"):
            # a small gzip body (Content-Encoding) that inflates to the given number of bytes
            size = int(fault.removeprefix("gzip-bomb:"))
            body = gzip.compress(b"code;nom;valeur\n" + b"0" * size, mtime=0)
            self.send_bytes(200, body, "text/csv; charset=utf-8", {"Content-Encoding": "gzip"})
        elif fault == "truncate":
            # announce a body, send half of it, then drop the connection
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"a;b\n" * 1000)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            return False
        return True

    def route(self, req: Request) -> None:
        raise NotImplementedError

    def send_bytes(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(doc).encode(), "application/json; charset=utf-8", headers)

    def send_conditional(self, body: bytes, ctype: str, etag: str, last_modified: str) -> None:
        """200 with validators, or 304 when the client's validators still match."""
        if self.headers.get("If-None-Match") == etag or (
            not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == last_modified
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_bytes(200, body, ctype, {"ETag": etag, "Last-Modified": last_modified})


class Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler], **handler_kwargs: Any) -> None:
        self.served = Served()
        bound = type(handler.__name__, (handler,), {"served": self.served})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(bound, **handler_kwargs))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
