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

from collections.abc import Callable, Mapping
from typing import Any, Literal

KEY = "x-territoria-serves"
#: the request scope key where the API's access check leaves whether the caller may read a dataset:
#: a callable of (scope, dataset name) that holds nothing holding the scope (no reference cycle)
READABLE = "territoria.readable"
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


def readable_in(scope: Mapping[str, Any]) -> Callable[[str], bool]:
    """Whether the caller of a request may read a dataset (by name), as the API's access check
    decided it for this request. A route that lists figures per dataset (a size, a cost) keeps only
    those: they say how much of the dataset there is. Without the check (a router mounted in
    another application), nothing is readable."""
    found = scope.get(READABLE)  # called with the scope: what is stored in it must not hold it
    if not callable(found):
        return _nothing
    return lambda name: bool(found(scope, name))


def _nothing(_name: str) -> bool:
    return False


#: the request scope key where the API's access check leaves how to audit figures shown: a callable
#: of (scope, dataset names, view) that holds nothing holding the scope, as ``READABLE``
FIGURES = "territoria.figures"


class FiguresShown:
    """``readable_in`` for a view that shows operations figures per dataset (a step's rows, times
    and energy, a dataset's cost: ``governance/figures.py``), remembering the datasets it let the
    caller see; ``audit()`` hands them to the API's audit log once the view is built, which writes
    those that are restricted or personal (a figure says how much of a dataset there is). Asked
    once per dataset per request."""

    def __init__(self, scope: Mapping[str, Any], view: str) -> None:
        self._scope = scope
        self._may_read = readable_in(scope)
        self._answers: dict[str, bool] = {}
        self.view = view
        #: the datasets the caller was allowed the figures of, in the order asked
        self.allowed: dict[str, None] = {}

    def __call__(self, name: str) -> bool:
        found = self._answers.get(name)
        if found is None:
            found = self._answers[name] = self._may_read(name)
        if found:
            self.allowed.setdefault(name)
        return found

    def audit(self) -> None:
        recorder = self._scope.get(FIGURES)
        if callable(recorder) and self.allowed:
            recorder(self._scope, list(self.allowed), self.view)
