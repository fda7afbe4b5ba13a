"""What an HTTP route serves, declared on the route so that the API's one access check enforces it.

Every route of the API (core routers and extensions alike: SensorThings, footprint, dashboard)
declares, through ``openapi_extra=serves(...)``, the data it serves; the API applies a single
dependency to all routes (``territoria.api.deps.guard``) that reads the declaration of the
matched route and refuses a route that declares nothing. The declaration is also published in
the OpenAPI document (``x-territoria-serves``), and the role × level × route test reads it.

Kinds:

``public``
    public metadata only (catalog pages, definitions, DCAT, the dashboard shell): anyone reads it;
    the route itself hides what the caller may not read (e.g. errors of closed steps).
``dataset``
    the rows of one dataset, named by the path parameter ``param``; ``lookup`` says how the
    name resolves: ``published`` (a published dataset), ``catalog`` (any catalogued dataset),
    ``collection`` (an OGC collection: a dataset, or the open boundaries). With ``raw_input``
    (the rows validation quarantined: raw input, possibly personal), an anonymous caller is
    refused whatever the policies grant, unless the dataset is open.
``sensors``
    the SensorThings API: the entity sets a request touches (path, ``$expand``, ``$filter``...)
    each map to the sensor datasets that hold them.
``admin``
    operations data that only administrators read.
"""

from __future__ import annotations

from typing import Any, Literal

KEY = "x-territoria-serves"
Kind = Literal["public", "dataset", "sensors", "admin"]
Lookup = Literal["published", "catalog", "collection"]


def serves(
    kind: Kind,
    param: str | None = None,
    *,
    lookup: Lookup = "published",
    action: str | None = None,
    raw_input: bool = False,
) -> dict[str, Any]:
    """The ``openapi_extra`` of a route: what it serves (see the module's docstring)."""
    if (kind == "dataset") != (param is not None):
        raise ValueError("a `dataset` route names the path parameter of its dataset, and only it does")
    rule: dict[str, Any] = {"kind": kind}
    if param is not None:
        rule.update(param=param, lookup=lookup)
    if action is not None:
        rule["action"] = action
    if raw_input:
        if kind != "dataset":
            raise ValueError("only a `dataset` route serves a dataset's raw input")
        rule["raw_input"] = True
    return {KEY: rule}


def declared(openapi_extra: dict[str, Any] | None) -> dict[str, Any] | None:
    """The rule a route declares, if any."""
    rule = (openapi_extra or {}).get(KEY)
    return rule if isinstance(rule, dict) else None
