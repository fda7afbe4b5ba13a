"""FastAPI routes of the SensorThings API v1.1 (read), under ``/sta/v1.1``.

Resource paths: ``/Things``, ``/Things(1)``, ``/Things(1)/Datastreams``,
``/Datastreams(1)/Observations``, ``/Datastreams(1)/Thing/name``, ``.../$value``; query options
``$top $skip $count $orderby $select $expand $filter`` (see ``odata``); ``@iot.nextLink`` paging.
Aggregation extension: ``/DailyAggregates`` and ``/HourlyAggregates`` (and the same under a
Datastream) give count, mean, min and max per datastream and period, computed incrementally by
the store as uplinks arrive.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from territoria.core.errors import NotFoundError, TerritoriaError, error_envelope
from territoria.core.serves import serves
from territoria.sensors.sta.model import ENTITY_SETS, EntitySet
from territoria.sensors.sta.odata import Options, QueryError, option_params, parse_options
from territoria.sensors.sta.service import Service, decode_observation_id

PREFIX = "/sta/v1.1"
SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d+)\))?$")
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "https://territoria.readthedocs.io/sensors#aggregation-extension",
]


#: the sensor store's tables (``source: {kind: sensors, table: ...}`` in the catalog) each entity set
#: reveals: raw observations give away the hourly and daily aggregates, hourly ones the daily ones
TABLES_OF = {
    "Observations": ("hourly", "daily", "datastreams"),
    "HourlyAggregates": ("hourly", "daily", "datastreams"),
    "DailyAggregates": ("daily", "datastreams"),
}
WORD = re.compile(r"[A-Za-z]+")


def entity_sets_touched(path: str, query: dict[str, str]) -> set[str]:
    """Every entity set a request may read: named in its path or in any query option ($expand,
    $filter, $orderby, $select), directly or as a navigation property. An over-approximation on
    purpose: a word that only looks like a navigation property costs a refusal, never a leak."""
    targets = {name: {name} for name in ENTITY_SETS}
    for es in ENTITY_SETS.values():
        for nav_name, nav in es.navs.items():
            targets.setdefault(nav_name, set()).add(nav.target)
    touched: set[str] = set()
    for text in (path, *query.keys(), *query.values()):
        for word in WORD.findall(text):
            touched |= targets.get(word, set())
    return touched


def tables_touched(path: str, query: dict[str, str]) -> set[str]:
    """The sensor store's tables a request reads (``datastreams``: the registry)."""
    return {t for es in entity_sets_touched(path, query) for t in TABLES_OF.get(es, ("datastreams",))}


class Resource:
    """Where a resource path leads: an entity set restricted by conditions, maybe one entity."""

    def __init__(self, es: EntitySet, where: list[str], single: bool, prop: str | None = None, raw: bool = False):
        self.es, self.where, self.single, self.prop, self.raw = es, where, single, prop, raw


def _by_id(es: EntitySet, ident: int) -> list[str]:
    if es.name == "Observations":
        ds, ms = decode_observation_id(ident)
        moment = datetime.fromtimestamp(ms / 1000, UTC).isoformat()
        return [f"t.datastream_id = {ds}", f"t.phenomenon_time = TIMESTAMPTZ '{moment}'"]
    return [f"t.id = {ident}"]


def resolve_path(path: str, lookup: Callable[[EntitySet, list[str], str], Any]) -> Resource:
    segments = [s for s in path.strip("/").split("/") if s]
    first = SEGMENT.match(segments[0])
    if not first or first.group(1) not in ENTITY_SETS:
        raise NotFoundError(f"no entity set {segments[0]!r}", hint=f"entity sets: {', '.join(ENTITY_SETS)}")
    es = ENTITY_SETS[first.group(1)]
    known_id = int(first.group(2)) if first.group(2) else None
    res = Resource(es, _by_id(es, known_id) if known_id is not None else [], known_id is not None)
    for seg in segments[1:]:
        if res.prop is not None:
            if seg == "$value":
                res.raw = True
                continue
            raise NotFoundError(f"nothing under property {res.prop}")
        m = SEGMENT.match(seg)
        name = m.group(1) if m else seg
        if not res.single:
            raise NotFoundError(f"{seg!r} must follow a single entity, e.g. {res.es.name}(1)/{seg}")
        if name in res.es.props and not (m and m.group(2)):
            res.prop = name
            continue
        nav = res.es.navs.get(name)
        if nav is None:
            raise NotFoundError(f"{res.es.name} has no navigation property or property {name!r}")
        target = ENTITY_SETS[nav.target]
        if nav.local == "id" and known_id is not None and res.es.name != "Observations":
            value = known_id
        else:
            value = lookup(res.es, res.where, nav.local)
        where = [f"t.{nav.remote} = {int(value) if value is not None else 'NULL'}"]
        if nav.extra:
            where.append(f"t.{nav.extra}")
        known_id = int(m.group(2)) if m and m.group(2) else None
        if known_id is not None:
            where += _by_id(target, known_id)
        if not nav.many and known_id is None and value is not None:
            known_id = int(value)
        res = Resource(target, where, (not nav.many) or known_id is not None)
    return res


class Api:
    def __init__(self, service: Service) -> None:
        self.service = service

    def links(self, es: EntitySet, row: dict[str, Any], base: str, select: list[str] | None) -> None:
        """Add self and navigation links; with $select, keep only what was selected (id included)."""
        ident = row["@iot.id"]
        self_url = f"{base}/{es.name}({ident})"
        if not es.self_link:
            # aggregates are not entities: they only point to their datastream
            del row["@iot.id"]
            if "Datastream@iot.id" in row and (select is None or "Datastream" in select):
                row["Datastream@iot.navigationLink"] = f"{base}/Datastreams({row['Datastream@iot.id']})"
            return
        if select is not None and not {"id", "@iot.id"} & set(select):
            del row["@iot.id"]
        else:
            row["@iot.selfLink"] = self_url
        for nav in es.navs:
            if (select is None or nav in select) and nav not in row:
                row[f"{nav}@iot.navigationLink"] = f"{self_url}/{nav}"

    def collection(self, es: EntitySet, where: list[str], opts: Options, base: str, url: str) -> dict[str, Any]:
        page = self.service.page(es, where, opts)
        body: dict[str, Any] = {}
        if page.count is not None:
            body["@iot.count"] = page.count
        if page.more:
            body["@iot.nextLink"] = next_link(url, opts, es)
        self.expand(es, page.rows, opts, base)
        for row in page.rows:
            self.links(es, row, base, opts.select)
        body["value"] = page.rows
        return body

    def expand(self, es: EntitySet, rows: list[dict[str, Any]], opts: Options, base: str) -> None:
        for path, sub in opts.expand:
            nav = es.navs.get(path[0])
            if nav is None:
                raise QueryError(f"$expand: {es.name} has no navigation property {path[0]!r}")
            if len(path) > 1:
                sub = Options(expand=[(path[1:], sub)])
            sub.carry = opts.carry
            target = ENTITY_SETS[nav.target]
            # Observations have their own paging over the store's files, one datastream at a time
            if nav.many and nav.local == "id" and target.table != "sta_observations" and rows:
                self._expand_many(es, rows, path[0], sub, base)
                continue
            for row in rows:
                self._expand_one(es, row, path[0], sub, base)

    def _expand_many(self, es: EntitySet, rows: list[dict[str, Any]], name: str, sub: Options, base: str) -> None:
        """A to-many navigation of every row of a page, in one query (``Service.pages_of``)."""
        nav = es.navs[name]
        target = ENTITY_SETS[nav.target]
        extra = [f"t.{nav.extra}"] if nav.extra else []
        pages = self.service.pages_of(target, nav.remote, [row["@iot.id"] for row in rows], extra, sub)
        self.expand(target, [child for page in pages.values() for child in page.rows], sub, base)
        for row in rows:
            page = pages[row["@iot.id"]]
            for child in page.rows:
                self.links(target, child, base, sub.select)
            row[name] = page.rows
            if page.more:
                row[f"{name}@iot.nextLink"] = next_link(nested_url(base, es, row, name, sub), sub, target)
            if page.count is not None:
                row[f"{name}@iot.count"] = page.count

    def _expand_one(self, es: EntitySet, row: dict[str, Any], name: str, sub: Options, base: str) -> None:
        nav = es.navs[name]
        target = ENTITY_SETS[nav.target]
        value = row.get("@iot.id") if nav.local == "id" else self._local(es, nav.local, row["@iot.id"])
        where = [f"t.{nav.remote} = {value if value is not None else 'NULL'}"]
        if nav.extra:
            where.append(f"t.{nav.extra}")
        if nav.many:
            child = self.collection(target, where, sub, base, nested_url(base, es, row, name, sub))
            row[name] = child["value"]
            if "@iot.nextLink" in child:
                row[f"{name}@iot.nextLink"] = child["@iot.nextLink"]
            if "@iot.count" in child:
                row[f"{name}@iot.count"] = child["@iot.count"]
        else:
            page = self.service.page(target, where, Options(select=sub.select, expand=sub.expand), 1)
            if page.rows:
                self.expand(target, page.rows, sub, base)
                self.links(target, page.rows[0], base, sub.select)
            row[name] = page.rows[0] if page.rows else None

    def _local(self, es: EntitySet, column: str, ident: int) -> Any:
        return self.service.lookup(es, _by_id(es, ident), column)

    def entity(self, res: Resource, opts: Options, base: str) -> dict[str, Any] | None:
        single = Options(select=opts.select, expand=opts.expand)
        if res.prop is not None:
            single.select = [res.prop]
        page = self.service.page(res.es, res.where, single, 1)
        if not page.rows:
            return None
        row = page.rows[0]
        if res.prop is not None:
            return {res.prop: row.get(res.prop)}
        self.expand(res.es, [row], opts, base)
        self.links(res.es, row, base, opts.select)
        return row


def nested_url(base: str, es: EntitySet, row: dict[str, Any], name: str, sub: Options) -> str:
    """The URL of an expanded collection with every option of its level (SensorThings 1.1, OGC 18-088:
    a nested ``$expand``'s options apply to it as top-level ones), so that its next link pages
    through the same selection, filter, order and expansions; the request's ``purpose`` too."""
    params = option_params(sub) + sub.carry
    return f"{base}/{es.name}({row['@iot.id']})/{name}" + (f"?{urlencode(params)}" if params else "")


def next_link(url: str, opts: Options, es: EntitySet) -> str:
    base, _, query = url.partition("?")
    params = [(k, v) for k, v in _pairs(query) if k not in ("$top", "$skip")]
    top = min(opts.top if opts.top is not None else 100, es.max_top)
    params += [("$top", str(top)), ("$skip", str(opts.skip + top))]
    return f"{base}?{urlencode(params, safe='$(),;/=:')}"


def _pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


def root_document(base: str) -> dict[str, Any]:
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in ENTITY_SETS],
        "serverSettings": {"conformance": CONFORMANCE},
    }


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status, media_type="application/json"
    )


log = logging.getLogger(__name__)


def warm_up(service: Service) -> Callable[[FastAPI], Any]:
    """A lifespan that builds the API's tables (registry, daily aggregates, spans) before the
    server accepts connections, so that the first request is served like any other; a store that
    cannot be read is logged and left to the first request, which says why."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(service.refresh)
        except Exception as exc:  # the API still serves everything else
            log.warning("SensorThings tables not built at start (%s): the first request will retry", exc)
        yield

    return lifespan


def make_router(service: Service) -> APIRouter:
    api = Api(service)
    r = APIRouter(prefix=PREFIX, tags=["SensorThings API v1.1"], lifespan=warm_up(service))

    @r.get("", openapi_extra=serves("public"))
    @r.get("/", openapi_extra=serves("public"))
    def root(request: Request) -> Response:
        return _json(root_document(str(request.base_url).rstrip("/") + PREFIX))

    @r.get("/{path:path}", openapi_extra=serves("sensors"))
    def resource(path: str, request: Request) -> Response:
        base = str(request.base_url).rstrip("/") + PREFIX
        try:
            res = resolve_path(path, service.lookup)
            opts = parse_options(dict(request.query_params))
            if res.single:
                body = api.entity(res, opts, base)
                if body is None:
                    return _error(404, "not-found", f"no entity at {path}")
                if res.raw and res.prop:
                    value = body[res.prop]
                    return Response("" if value is None else str(value), media_type="text/plain")
                return _json(body)
            if not res.es.self_link and not opts.expand:
                return _raw_collection(service, res, opts, base, str(request.url))
            return _json(api.collection(res.es, res.where, opts, base, str(request.url)))
        except QueryError as exc:
            return _error(400, "bad-request", exc.message, exc.hint)
        except NotFoundError as exc:
            return _error(404, "not-found", exc.message, exc.hint)
        except TerritoriaError as exc:
            return _error(500, "internal-error", exc.message, exc.hint)

    return r


def _raw_collection(service: Service, res: Resource, opts: Options, base: str, url: str) -> Response:
    values, count, more = service.page_json(res.es, res.where, opts, base)
    head = [] if count is None else [f'"@iot.count":{count}']
    if more:
        head.append(f'"@iot.nextLink":{json.dumps(next_link(url, opts, res.es))}')
    body = "{" + "".join(h + "," for h in head) + '"value":' + values + "}"
    return Response(body, media_type="application/json")


def _error(status: int, code: str, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse(error_envelope(status, code, message, hint), status_code=status)


def router(workspace: Any) -> APIRouter:
    """Entry point of the ``territoria.routers`` group: the SensorThings API of a workspace."""
    return make_router(Service(workspace.root, workspace.private, list(workspace.config.communes)))
