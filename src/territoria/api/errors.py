"""One JSON error envelope for every error the API returns.

    {"error": {"status": 404, "code": "not-found", "message": "...", "hint": "...", "details": [...]}}

Handlers cover territoria's own errors, HTTP errors raised by routing (404, 405), request
validation (422) and anything unexpected (500, without internals). The one exception: the OGC API
Features routes answer in their standard's exception format (``api/ogc_errors.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from territoria.api.ogc_errors import is_ogc, ogc_exception
from territoria.core.errors import NotFoundError, TerritoriaError, UserError, WorkspaceLockedError
from territoria.core.params import WHOLE_NUMBER, whole_number_hint

log = logging.getLogger("territoria.api")

CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "too-large",
    422: "invalid-request",
    500: "internal-error",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    hint: str | None = None
    details: list[Any] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class ApiError(TerritoriaError):
    """An error with an explicit HTTP status (401, 403...)."""

    def __init__(self, status: int, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code or CODES.get(status, "error")


def envelope(
    status: int, message: str, *, code: str | None = None, hint: str | None = None, details: list[Any] | None = None
) -> JSONResponse:
    body = {
        "error": {
            "status": status,
            "code": code or CODES.get(status, "error"),
            "message": message,
            "hint": hint,
            "details": details,
        }
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _status_of(exc: TerritoriaError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, WorkspaceLockedError):
        return 503
    if isinstance(exc, UserError):
        return 400
    return 500


def _answer(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    hint: str | None = None,
    details: list[Any] | None = None,
) -> JSONResponse:
    if is_ogc(request):
        return ogc_exception(status, message, hint)
    return envelope(status, message, code=code, hint=hint, details=details)


async def _territoria_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TerritoriaError)
    status = _status_of(exc)
    code = exc.code if isinstance(exc, ApiError) else exc.slug
    if status >= 500:
        log.error("server error: %s", exc, exc_info=exc)
    return _answer(request, status, exc.message, code=code, hint=exc.hint)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.detail else CODES.get(exc.status_code, "error")
    hint = None
    if exc.status_code == 404:
        hint = "GET /ogc/collections lists the collections" if is_ogc(request) else "GET /api lists the resources"
    return _answer(request, exc.status_code, message, hint=hint)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    hint = None
    if first.get("type") == WHOLE_NUMBER and first["loc"]:
        hint = whole_number_hint(str(first["loc"][-1]))
    return _answer(request, 422, f"invalid request: {where}: {first['msg']}", hint=hint, details=details)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected server error", exc_info=exc)
    return _answer(request, 500, "internal server error", hint="the server logged the details; please report it")


def install(app: FastAPI) -> None:
    app.add_exception_handler(TerritoriaError, _territoria_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


#: documented on every route so that clients (and schemathesis) know the envelope
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": CODES[status]} for status in (400, 401, 403, 404, 422, 503)
}
