"""The HTTP layer every remote connector shares.

- timeouts on connect and read; retries with exponential backoff and full jitter on
  connection errors, 429 (honouring ``Retry-After``) and 5xx; immediate, clear errors on other
  4xx (401/403/404...), quoting the API's own error message when it sends one;
- downloads stream in 1 MiB chunks through ``Landing.writer()``: memory stays bounded and an
  interrupted transfer never lands (the temporary file is dropped, then the download retried);
- conditional requests (``If-None-Match`` / ``If-Modified-Since``) from the previous state;
- only http and https; secrets come from ``${VAR}`` references and are scrubbed from every
  message and record (records keep the reference, never the value).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from territoria import __version__
from territoria.connectors.http.secrets import REFERENCE, Secrets
from territoria.core.errors import ConfigError, SourceError, TransientSourceError
from territoria.landing import LandedObject, Landing

CHUNK = 1 << 20
MAX_JSON_BYTES = 256 << 20
DEFAULT_MAX_BYTES = 2 << 30
TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
RECORDED_HEADERS = (
    "etag",
    "last-modified",
    "content-type",
    "content-length",
    "x-ratelimit-remaining",
    "x-ratelimit-limit",
)
T = TypeVar("T")


class HttpOptions(BaseModel):
    """Options every HTTP-based connector accepts."""

    model_config = ConfigDict(extra="forbid")

    #: extra request headers; credentials as ``${VAR}`` references
    headers: dict[str, str] = Field(default_factory=dict)
    #: extra query parameters (for instance ``apikey: ${ODS_API_KEY}``)
    params: dict[str, str] = Field(default_factory=dict)
    #: seconds to wait for the server (connect and between two received chunks)
    timeout: float = 60.0
    #: how many times a transient failure is retried
    retries: int = 4
    #: first retry delay in seconds; doubled at each attempt, with jitter
    backoff: float = 1.0
    #: the longest ``Retry-After`` honoured; a server asking for more fails the fetch as transient
    max_wait: float = 300.0
    #: the largest body landed, counted after the transfer encoding (gzip, br...) is inflated:
    #: a small compressed answer must not fill the disk
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)


def check_url(url: str, dataset: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(
            f"source {dataset!r}: URL scheme {scheme or '(none)'!r} is refused ({url[:80]})",
            hint="only http:// and https:// URLs are fetched; use `kind: file` for a file inside the workspace",
        )


@dataclass
class Download:
    status: int
    #: None when the server answered 304 Not Modified
    landed: LandedObject | None
    headers: dict[str, str]


@dataclass
class Attempt:
    status: str
    waited_s: float = 0.0


@dataclass
class HttpClient:
    dataset: str
    options: HttpOptions
    sleep: Callable[[float], None] = time.sleep
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.secrets = Secrets(self.dataset)
        self.headers = self.secrets.resolve_map(self.options.headers)
        self.params = self.secrets.resolve_map(self.options.params)
        timeout = httpx.Timeout(self.options.timeout, connect=min(self.options.timeout, 15.0))
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": f"territoria/{__version__}", **self.headers},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- what may be written down --------------------------------------------------------
    def public_url(self, url: str, params: dict[str, Any] | None = None) -> str:
        """The URL as recorded: secrets stay as their ``${VAR}`` reference."""
        shown = {**self.options.params, **{k: v for k, v in (params or {}).items() if v is not None}}
        query = urlencode(shown, doseq=True)
        return self.secrets.redact(f"{url}{'&' if '?' in url else '?'}{query}" if query else url)

    def request_record(self, conditional: bool = False) -> dict[str, Any]:
        return {
            "method": "GET",
            "conditional": conditional,
            "attempts": [{"status": a.status, "waited_s": round(a.waited_s, 3)} for a in self.attempts],
        }

    # -- requests ------------------------------------------------------------------------
    def call(
        self,
        url: str,
        action: Callable[[httpx.Response], T],
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        method: str = "GET",
    ) -> T:
        """Open ``url`` and hand the streaming response to ``action``, retrying transient failures."""
        check_url(url, self.dataset)
        query = {**self.params, **{k: v for k, v in (params or {}).items() if v is not None}}
        shown = self.public_url(url, params)
        # ${VAR} in the URL itself is resolved for the request only; `shown` keeps the reference
        real = self.secrets.resolve(url) if REFERENCE.search(url) else url
        # merged here: given ``params``, httpx would drop the URL's own query (a `next` link's offset)
        target = httpx.URL(real).copy_merge_params(query) if query else httpx.URL(real)
        waited = 0.0
        for attempt in range(self.options.retries + 1):
            try:
                with self.client.stream(method, target, headers=headers) as resp:
                    wait = self._transient_wait(resp, attempt, shown)
                    if wait is None:
                        self.attempts.append(Attempt(str(resp.status_code), waited))
                        if resp.status_code >= 400:
                            self._raise_terminal(resp, shown)
                        return action(resp)
                    problem = f"HTTP {resp.status_code}"
            except httpx.UnsupportedProtocol as exc:
                raise SourceError(
                    f"source {self.dataset!r}: {shown} redirected to a refused address "
                    f"({self.secrets.redact(str(exc))})",
                    hint="only http:// and https:// are fetched; use the file's direct URL",
                ) from None
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {self.secrets.redact(str(exc)) or 'connection failed'}"
                wait = self._backoff(attempt)
            except httpx.RequestError as exc:  # decoding errors, too many redirects: retrying will not help
                raise SourceError(
                    f"source {self.dataset!r}: {shown} could not be read: {type(exc).__name__}: "
                    f"{self.secrets.redact(str(exc))}",
                    hint="the server sends a malformed answer (or redirects in a loop); check the URL",
                ) from None
            self.attempts.append(Attempt(problem, waited))
            if attempt == self.options.retries:
                raise TransientSourceError(
                    f"source {self.dataset!r}: {shown} failed {attempt + 1} time(s), last: {problem}",
                    hint="the server or the network is unavailable; nothing was changed, run again later",
                )
            self.sleep(wait)
            waited = wait
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        # full jitter: spreads retries of many clients hitting the same portal
        return random.uniform(self.options.backoff / 2, self.options.backoff * 2**attempt)

    def _transient_wait(self, resp: httpx.Response, attempt: int, shown: str) -> float | None:
        if resp.status_code not in TRANSIENT_STATUS:
            return None
        retry_after = _retry_after(resp.headers.get("retry-after") or resp.headers.get("x-ratelimit-reset"))
        if retry_after is None:
            return self._backoff(attempt)
        if retry_after > self.options.max_wait:
            raise TransientSourceError(
                f"source {self.dataset!r}: {shown} answered HTTP {resp.status_code} and asks to wait "
                f"{retry_after:.0f} s, more than max_wait ({self.options.max_wait:.0f} s)",
                hint="the portal's quota is exhausted; run again later or raise `max_wait` in the source",
            )
        return retry_after

    def _raise_terminal(self, resp: httpx.Response, shown: str) -> None:
        body = _read_some(resp)
        detail = self.secrets.redact(_error_detail(body, resp.headers.get("content-type", "")))
        code = resp.status_code
        what = f"source {self.dataset!r}: {shown} answered HTTP {code} {resp.reason_phrase}"
        if code in (401, 403):
            hint = "the portal refused access: check the API key the source references (${VAR}) and its rights"
        elif code in (404, 410):
            hint = "the dataset or resource no longer exists at this address: check the URL/identifier in the source"
        else:
            hint = "the request was refused as invalid: check the source's options (filters, fields, limits)"
        raise SourceError(f"{what}{': ' + detail if detail else ''}", hint=hint)

    def get_json(
        self, url: str, *, params: dict[str, Any] | None = None, ok: tuple[int, ...] = (200,)
    ) -> tuple[Any, httpx.Response]:
        shown = self.public_url(url, params)

        def action(resp: httpx.Response) -> tuple[Any, httpx.Response]:
            if resp.status_code not in ok:
                raise SourceError(
                    f"source {self.dataset!r}: {shown} answered HTTP {resp.status_code}, expected {ok}",
                    hint="the API did not answer as documented; check the URL",
                )
            body = _read_some(resp, MAX_JSON_BYTES)
            return parse_json(body, resp.headers.get("content-type", ""), f"source {self.dataset!r}: {shown}"), resp

        return self.call(url, action, params=params, headers={"Accept": "application/json"})

    def sample(self, url: str, size: int = 1 << 16) -> tuple[bytes, dict[str, str]]:
        """The first ``size`` bytes of ``url`` (to propose a schema), without landing anything."""

        def action(resp: httpx.Response) -> tuple[bytes, dict[str, str]]:
            return _read_some(resp, size), {k.lower(): v for k, v in resp.headers.items()}

        return self.call(url, action)

    def download(
        self,
        url: str,
        landing: Landing,
        *,
        params: dict[str, Any] | None = None,
        previous: dict[str, Any] | None = None,
        allow_html: bool = False,
        checksum: tuple[str, str] | None = None,
    ) -> Download:
        """Stream ``url`` into the landing area, conditionally on the previous state."""
        cond: dict[str, str] = {}
        prev = previous or {}
        if prev.get("sha256") and landing.has(prev["sha256"]):
            if prev.get("etag"):
                cond["If-None-Match"] = prev["etag"]
            if prev.get("last_modified"):
                cond["If-Modified-Since"] = prev["last_modified"]
        shown = self.public_url(url, params)

        def action(resp: httpx.Response) -> Download:
            headers = {k: resp.headers[k] for k in RECORDED_HEADERS if k in resp.headers}
            if resp.status_code == 304:
                return Download(304, None, headers)
            ctype = resp.headers.get("content-type", "").lower()
            if not allow_html and "text/html" in ctype:
                raise SourceError(
                    f"source {self.dataset!r}: {shown} served an HTML page instead of data "
                    f"({self.secrets.redact(_error_detail(_read_some(resp), ctype)) or ctype})",
                    hint="the address probably points to a web page or a portal error page: use the file's direct URL",
                )
            digest = hashlib.new(checksum[0]) if checksum else None
            with landing.writer() as out:
                for chunk in resp.iter_bytes(CHUNK):
                    out.write(chunk)
                    if out.size > self.options.max_bytes:
                        raise SourceError(
                            f"source {self.dataset!r}: {shown} sent more than {self.options.max_bytes} bytes "
                            f"(once inflated: {resp.headers.get('content-encoding') or 'not compressed'})",
                            hint="if the file is genuine, raise `max_bytes` in the source's options (nothing was kept)",
                        )
                    if digest:
                        digest.update(chunk)
                if out.size == 0:
                    raise SourceError(
                        f"source {self.dataset!r}: {shown} served an empty file",
                        hint="the publisher's file is empty or being replaced: run again later (nothing was kept)",
                    )
                if checksum and digest and digest.hexdigest() != checksum[1].lower():
                    raise SourceError(
                        f"source {self.dataset!r}: {shown} does not match the {checksum[0]} checksum its publisher "
                        "announces",
                        hint="the transfer was corrupted or the file is being replaced: run again later "
                        "(nothing was kept)",
                    )
            return Download(resp.status_code, landing.last, headers)

        return self.call(url, action, params=params, headers=cond)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _read_some(resp: httpx.Response, limit: int = 8192) -> bytes:
    data = bytearray()
    for chunk in resp.iter_bytes(CHUNK):
        data.extend(chunk)
        if len(data) > limit:
            if limit >= MAX_JSON_BYTES:
                raise SourceError(
                    f"the answer is larger than {limit >> 20} MiB, which a JSON page never should be",
                    hint="narrow the query (fewer fields, a smaller page size)",
                )
            break
    return bytes(data[:limit])


def looks_like_html(body: bytes) -> bool:
    head = body.lstrip()[:512].lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head or b"<head" in head


def _error_detail(body: bytes, ctype: str) -> str:
    if not body:
        return ""
    if b"ExceptionReport" in body[:2048]:  # OGC web services (WFS, WMS) report errors in XML
        texts = re.findall(rb"<(?:\w+:)?ExceptionText>(.*?)</(?:\w+:)?ExceptionText>", body, re.S)
        codes = re.findall(rb'exceptionCode="([^"]+)"', body)
        return " — ".join(t.decode("utf-8", "replace").strip() for t in codes[:1] + texts[:2]) or "an OGC exception"
    if looks_like_html(body) or "html" in ctype:
        text = body.decode("utf-8", "replace")
        start, end = text.lower().find("<title>"), text.lower().find("</title>")
        title = text[start + 7 : end].strip() if 0 <= start < end else ""
        return f"an HTML page{' titled ' + repr(title) if title else ''}"
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(doc, dict):
        parts = [str(doc[k]) for k in ("error_code", "message", "error", "detail", "description") if doc.get(k)]
        if parts:
            return " — ".join(parts)[:500]
    return json.dumps(doc)[:300]


def parse_json(body: bytes, ctype: str, where: str) -> Any:
    if looks_like_html(body) or "text/html" in ctype.lower():
        raise SourceError(
            f"{where} served an HTML page instead of JSON ({_error_detail(body, 'html')})",
            hint="the address points to a web page, a login page or a portal error page: check the API URL",
        )
    if body.lstrip().startswith(b"<"):
        raise SourceError(
            f"{where} answered XML instead of JSON ({_error_detail(body, ctype)[:300]})",
            hint="check the service URL and its parameters (output format, layer name)",
        )
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SourceError(
            f"{where} did not answer valid JSON ({exc.__class__.__name__}: {exc})",
            hint="the API may be down or the URL wrong; the previous data is kept",
        ) from exc
    except RecursionError as exc:
        # no API page nests hundreds of levels: a broken or hostile answer, not a Python bug
        raise SourceError(
            f"{where} answered JSON nested more than {sys.getrecursionlimit()} levels deep",
            hint="check the API URL; the previous data is kept",
        ) from exc


def expect(doc: Any, key: str, kind: type | tuple[type, ...], where: str, api: str) -> Any:
    """``doc[key]`` when it has the documented type, else a clear error."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, kind):
        found = "missing" if not isinstance(doc, dict) or key not in doc else type(value).__name__
        names = getattr(kind, "__name__", None) or "/".join(k.__name__ for k in kind)  # type: ignore[union-attr]
        raise SourceError(
            f"{where}: the answer is not what the {api} documents: `{key}` should be {names}, found {found}",
            hint="the URL may point to another API or version; check it in the source",
        )
    return value
