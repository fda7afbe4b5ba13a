"""Errors of the OGC API Features routes, in the standard's exception format.

OGC API - Features Part 1 (§7.5, ``exception.yaml``, the schema OGC API - Common shares) answers
an error with ``{"code": ..., "description": ...}`` as ``application/json``, and an invalid
parameter with 400 (never 422). GIS clients (GDAL, OWSLib, QGIS) show that description to their
user; the rest of the API keeps its own envelope (``api/errors.py``), which picks this format for
every request under ``PREFIX``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

#: where the OGC API Features routes live
PREFIX = "/ogc"

#: status -> exception code (OWS Common's names where it has one)
CODES = {
    400: "InvalidParameterValue",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "NotFound",
    405: "OperationNotSupported",
    406: "InvalidFormat",
    413: "ResponseTooLarge",
    500: "NoApplicableCode",
    503: "ServiceUnavailable",
}


class OgcException(BaseModel):
    """OGC API - Features Part 1, ``exception.yaml``."""

    code: str
    description: str | None = None


def is_ogc(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def ogc_status(status: int) -> int:
    """A request the parameters of which do not validate is a 400 in OGC API Features."""
    return 400 if status == 422 else status


def ogc_exception(status: int, message: str, hint: str | None = None) -> JSONResponse:
    status = ogc_status(status)
    description = f"{message} ({hint})" if hint else message
    body = OgcException(code=CODES.get(status, "NoApplicableCode"), description=description)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


#: documented on every OGC route instead of the API's envelope
OGC_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": OgcException, "description": CODES.get(status, "error")}
    for status in (400, 401, 403, 404, 422, 503)
}
