"""Python's own static file server (``http.server``) with ETag added to its Last-Modified support."""

from __future__ import annotations

import os
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .base import Handler, Request, Server


class FileHandler(SimpleHTTPRequestHandler):
    served: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def etag(self) -> str | None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            return None
        st = path.stat()
        # from size and mtime, as nginx and Apache do (without reading the file)
        return f'"{st.st_size:x}-{st.st_mtime_ns:x}"'

    def send_head(self) -> Any:
        etag = self.etag()
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        return super().send_head()

    def end_headers(self) -> None:
        etag = self.etag()
        if etag and not self._headers_buffer[0].startswith(b"HTTP/1.1 304"):
            self.send_header("ETag", etag)
        super().end_headers()

    def do_GET(self) -> None:
        if not self._faulted("GET"):
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._faulted("HEAD"):
            super().do_HEAD()

    def _faulted(self, method: str) -> bool:
        path = urlsplit(self.path).path
        self.served.requests.append(Request(method, path, {}, {k.lower(): v for k, v in self.headers.items()}))
        fault = self.served.take_fault(path)
        return bool(fault and Handler.inject(self, fault))  # type: ignore[arg-type]

    # the fault helpers of the contract servers
    send_bytes = Handler.send_bytes
    send_json = Handler.send_json


class FileServer(Server):
    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(FileHandler, directory=str(root))


def touch_later(path: Path, seconds: int = 5) -> None:
    """Move the mtime forward so Last-Modified (second resolution) changes."""
    st = path.stat()
    os.utime(path, (st.st_atime + seconds, st.st_mtime + seconds))
