"""Request-scoped dependencies: the publication, the caller, and THE access check with its audit.

``guard`` is applied by ``create_app`` to every route, core and extension alike. It reads what
the matched route declares it serves (``territoria.core.serves``) and refuses a route that
declares nothing, so a new route cannot serve data without a rule. Levels are effective ones:
a dataset is at least as closed as its inputs (``governance.levels``). Policies are re-read when
``policies.yaml`` changes; a broken file answers 503 until it is fixed, never stale rights.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from territoria.api.cache import CACHEABLE
from territoria.api.errors import ApiError
from territoria.core.errors import TerritoriaError
from territoria.core.serves import FIGURES, READABLE, declared
from territoria.core.vocab import AccessLevel
from territoria.governance.access import ANONYMOUS, AccessPolicy, AccessStore, Principal, Role, check_purpose
from territoria.governance.audit import AuditLog
from territoria.governance.levels import RANK, Level, Node, effective_levels, release_rule, strictest, suppresses
from territoria.publication.reader import DatasetMeta, Publication, PublicationSource
from territoria.sensors.sta.router import tables_touched
from territoria.workspace import Workspace
from territoria.workspace.policies import FILE as POLICIES
from territoria.workspace.policies import load_policies

MAX_PURPOSE = 500
#: what the audit log names as the dataset of an administrators-only route
OPERATIONS = "operations"


class PolicyFile:
    """The access policy of ``policies.yaml``, re-read whenever the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._policy: AccessPolicy | None = None

    def _stat(self) -> tuple[int, int, int]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def stamp(self) -> tuple[int, int, int]:
        """Changes whenever the file does (what cached answers are keyed on)."""
        return self._stat()

    def current(self) -> AccessPolicy:
        stamp = self._stat()
        if stamp == self._stamp and self._policy is not None:
            return self._policy
        with self._lock:
            if stamp != self._stamp or self._policy is None:
                self._policy = None  # a broken file must not leave the old rights in force
                try:
                    self._policy = AccessPolicy(load_policies(self.path))
                except TerritoriaError as exc:
                    raise ApiError(
                        503,
                        f"{POLICIES} changed and cannot be read: {exc.message}",
                        hint="fix it (`territoria config validate` says where); the API serves again at once",
                    ) from exc
                self._stamp = stamp
            return self._policy


@dataclass
class ApiState:
    workspace: Workspace
    source: PublicationSource
    store: AccessStore
    audit: AuditLog
    policies: PolicyFile
    _sensor_levels: tuple[Any, dict[str, tuple[str, AccessLevel]]] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, ws: Workspace, store: AccessStore) -> ApiState:
        return cls(ws, PublicationSource(ws.private), store, AuditLog(store), PolicyFile(ws.root / POLICIES))

    @property
    def policy(self) -> AccessPolicy:
        return self.policies.current()

    def sensor_datasets(self) -> dict[str, tuple[str, AccessLevel]]:
        """Sensor store table -> (catalog dataset, level), re-read when a catalog entry changes."""
        files = sorted(self.workspace.sources_dir.glob("*.yaml"))
        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in files)
        if self._sensor_levels is None or self._sensor_levels[0] != stamp:
            found: dict[str, tuple[str, AccessLevel]] = {}
            for entry in self.workspace.entries().values():
                table = entry.source.options.get("table") if entry.source.kind == "sensors" else None
                if isinstance(table, str):
                    previous = found.get(table)
                    level = strictest([entry.access, previous[1]]) if previous else entry.access
                    found[table] = (entry.identifier, level)
            self._sensor_levels = (stamp, found)
        return self._sensor_levels[1]

    def pack_dirs(self) -> list[Path]:
        """The folders of the workspace's packs (where their secrecy rule sets are)."""
        from territoria.catalog.packs import load_pack

        ws = self.workspace
        return [load_pack(name, ws.pack_path(name)).directory for name in ws.enabled_packs()]


def state(request: Request) -> ApiState:
    found: ApiState = request.app.state.territoria
    return found


async def publication(request: Request) -> Publication:
    # Dependencies are async so that a request costs no thread hop; loading a new snapshot
    # (once per run) is done in a worker thread.
    source = state(request).source
    current = source.fresh()
    pub = current if current is not None else await run_in_threadpool(source.get)
    request.state.publication = pub  # levels are computed against the snapshot the request reads
    return pub


async def principal(
    request: Request,
    authorization: Annotated[str | None, Header(description="`Bearer <token>` (see `territoria users add`)")] = None,
) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "the Authorization header must be `Bearer <token>`", hint="or send no header to be public")
    who = await run_in_threadpool(state(request).store.authenticate, token.strip())
    if who is None:
        await _log_refused_token(request, token.strip())
        raise ApiError(401, "invalid, expired or revoked token", hint="ask an administrator: `territoria users add`")
    return who


async def _log_refused_token(request: Request, token: str) -> None:
    """A refused token is a denied attempt, logged for what it was: the dataset the route reads
    (resolved from the path, as ``guard`` would) with its effective level, or no dataset when the
    route reads none or names none known (the path is in the detail either way); the token id it
    claims, and that token's role when the id is one of the store's (never the secret)."""
    parts = token.split("_", 2)
    claimed = parts[1] if len(parts) == 3 else None
    known = {t["token_id"]: t for t in await run_in_threadpool(state(request).store.list)} if claimed else {}
    role = Role(known[claimed]["role"]) if claimed in known else Role.public
    stranger = Principal("invalid token", role, None, claimed if claimed in known else None)
    read = await _route_reads(request)
    # no dataset is NULL in the log, never an empty name (``dataset_known`` says the same)
    dataset, level = read if read is not None else (None, AccessLevel.open)
    detail = {
        "reason": "invalid, expired or revoked token",
        "status": 401,
        "claimed_token_id": claimed,
        "path": request.url.path,
        "dataset_known": read is not None,
    }
    await run_in_threadpool(state(request).audit.record, stranger, "denied:token", dataset, level, None, detail)


async def _route_reads(request: Request) -> tuple[str, AccessLevel] | None:
    """The dataset the matched route reads and its effective level (SensorThings: the most closed
    of those the request touches); None for a route that reads no dataset, or names none known."""
    rule = declared(getattr(request.scope.get("route"), "openapi_extra", None))
    kind = rule["kind"] if rule else None
    if kind == "admin":
        return OPERATIONS, AccessLevel.restricted
    if kind == "sensors":
        touched = await run_in_threadpool(_sensor_reads, request)
        return touched[0] if touched else None
    if kind != "dataset" or rule is None:
        return None
    try:
        pub = await publication(request)
        meta = _resolve(pub, request.path_params.get(rule["param"], ""), rule["lookup"])
    except TerritoriaError:  # no snapshot, or no such dataset: the refusal is logged naming none
        return None
    return (meta.id, level_of(request, meta)) if meta is not None else None


Pub = Annotated[Publication, Depends(publication)]
Who = Annotated[Principal, Depends(principal)]
Purpose = Annotated[
    str | None,
    Query(max_length=MAX_PURPOSE, description="Why you read restricted or personal data (written to the audit log)."),
]


def levels(request: Request, pub: Publication) -> dict[str, Level]:
    """Effective levels of the snapshot's datasets under the current policies (cached per both)."""
    policy = state(request).policy

    def build() -> dict[str, Level]:
        packs = state(request).pack_dirs()

        def released(meta: DatasetMeta | None) -> str | None:
            if meta is None:
                return None
            columns = [c for c, _ in meta.columns]
            return release_rule(meta.doc.get("secrecy"), policy.policies, packs, columns)

        nodes: dict[str, Node] = {}
        for name, g in pub.catalog.get("lineage_graph", {}).items():
            meta = pub.datasets.get(name) or pub.datasets.get(name.removeprefix("published."))
            declared_level = meta.access if meta else AccessLevel.open
            nodes[name] = Node(declared_level, tuple(g.get("inputs", [])), released(meta))
        for name, meta in pub.datasets.items():
            if name not in nodes:
                nodes[name] = Node(meta.access, (), released(meta))
        return effective_levels(nodes, policy.declassify)

    found: dict[str, Level] = pub.cached(f"levels:{policy.serial}:{id(pub.datasets)}", build)
    return found


def level_of(request: Request, meta: DatasetMeta) -> AccessLevel:
    pub: Publication | None = getattr(request.state, "publication", None)
    if pub is None:
        return meta.access
    found = levels(request, pub).get(meta.id)
    # the catalog's own declaration can only raise the level (e.g. a test or an operator closing a dataset)
    return strictest([meta.access, found.effective]) if found else meta.access


def closed(request: Request, pub: Publication) -> Callable[[str], bool]:
    """Whether a dataset of the snapshot (a lineage node) is restricted or personal in effect."""
    found = levels(request, pub)

    def check(name: str) -> bool:
        level = found.get(name) or found.get(name.removeprefix("published."))
        meta = pub.datasets.get(name) or pub.datasets.get(name.removeprefix("published."))
        declared_level = meta.access if meta else AccessLevel.open
        return strictest([declared_level, level.effective if level else AccessLevel.open]) is not AccessLevel.open

    return check


def protected(request: Request, pub: Publication) -> Callable[[str], bool]:
    """Whether a lineage node is a table a secrecy guard protects at publication (the dataset's
    own table, not its ``published.`` copy): it holds the values the guard suppresses. A rule set
    that cannot be read counts as protecting (fail closed)."""
    policy = state(request).policy

    def build() -> frozenset[str]:
        packs = state(request).pack_dirs()
        return frozenset(
            name
            for name, meta in pub.datasets.items()
            if suppresses(meta.doc.get("secrecy"), policy.policies, packs) is not False
        )

    found: frozenset[str] = pub.cached(f"protected:{policy.serial}:{id(pub.datasets)}", build)
    return lambda name: not name.startswith("published.") and name in found


def _deny(request: Request, who: Principal, dataset: str, level: AccessLevel, action: str, reason: str) -> None:
    state(request).audit.record(who, f"denied:{action}", dataset, level, None, {"reason": reason})


def decide(
    request: Request, who: Principal, dataset: str, level: AccessLevel, action: str, purpose: str | None
) -> str | None:
    """Refuse (and log) what ``who`` may not read; return the purpose to audit the read with."""
    decision = state(request).policy.decide(who, dataset, level)
    if not decision.allowed:
        _deny(request, who, dataset, level, action, decision.reason)
        if who.anonymous:
            raise ApiError(401, f"dataset {dataset!r} is {level.value}", hint="send a token: Bearer <token>")
        raise ApiError(403, decision.reason, hint="a convention in policies.yaml can grant a partner access")
    checked = check_purpose(decision, level, purpose)
    if checked.refusal is not None:
        _deny(request, who, dataset, level, action, checked.refusal)
        raise ApiError(400, f"dataset {dataset!r}: {checked.refusal}", hint=checked.hint)
    return checked.purpose


def authorize(
    request: Request, who: Principal, meta: DatasetMeta, action: str, purpose: str | None, detail: dict[str, Any]
) -> None:
    """Refuse what ``who`` may not read; write every allowed non-open read to the audit log."""
    level = level_of(request, meta)
    why = decide(request, who, meta.id, level, action, purpose)
    if level is not AccessLevel.open:
        state(request).audit.record(who, action, meta.id, level, why, detail)


def readable(request: Request, who: Principal, meta: DatasetMeta) -> bool:
    return state(request).policy.decide(who, meta.id, level_of(request, meta)).allowed


def _may_read(who: Principal, scope: Scope, name: str) -> bool:
    """Whether ``who`` may read a dataset, by name (``core.serves.readable_in``): a ``published.``
    copy as its dataset; a name the publication does not know, administrators only. The scope
    holds ``partial(_may_read, who)``, nothing that holds the scope: a closure over the request
    stored in its own scope made a reference cycle per request, which only the garbage
    collector's full passes freed (p99 of the OGC pages 8 -> 50-560 ms)."""
    request = Request(scope)
    pub: Publication | None = getattr(request.state, "publication", None)
    if pub is None:
        pub = request.state.publication = state(request).source.get()
    meta = pub.datasets.get(name) or pub.datasets.get(name.removeprefix("published."))
    return who.admin if meta is None else readable(request, who, meta)


def _figures_shown(who: Principal, scope: Scope, names: list[str], view: str) -> None:
    """Write to the audit log the restricted and personal datasets whose figures a view showed
    (``core.serves.FiguresShown``): they say how much of a dataset there is (a register's size,
    a read's rows), which the caller saw as it would read the rows. Held in the scope as
    ``partial(_figures_shown, who)``, like ``_may_read``."""
    request = Request(scope)
    pub: Publication | None = getattr(request.state, "publication", None)
    if pub is None:
        pub = request.state.publication = state(request).source.get()
    purpose = request.query_params.get("purpose") or None
    seen: set[str] = set()
    for name in names:
        meta = pub.datasets.get(name) or pub.datasets.get(name.removeprefix("published."))
        if meta is None or meta.id in seen:
            continue
        seen.add(meta.id)
        level = level_of(request, meta)
        if level is not AccessLevel.open:
            detail = {"path": request.url.path, "figures": view}
            state(request).audit.record(
                who, f"figures:{view}", meta.id, level, purpose and purpose[:MAX_PURPOSE], detail
            )


def _resolve(pub: Publication, ident: str, lookup: str) -> DatasetMeta | None:
    if lookup == "collection":
        from territoria.api.routers.ogc import collection_meta

        return collection_meta(pub, ident)
    return pub.dataset(ident, published=lookup == "published")


def _sensor_reads(request: Request) -> list[tuple[str, AccessLevel]]:
    """The sensor datasets a SensorThings request reads with their levels, the strictest first."""
    query = dict(request.query_params)
    datasets = state(request).sensor_datasets()
    # a table no catalog entry declares was released by no one: it is read as restricted
    touched = [
        datasets.get(table, (f"sensors:{table}", AccessLevel.restricted))
        for table in tables_touched(request.path_params.get("path", ""), query)
    ]
    return sorted(touched, key=lambda t: (-RANK[t[1]], t[0]))


def _sensors(request: Request, who: Principal, purpose: str | None) -> None:
    # the strictest first: a refusal names (and logs) the most closed dataset the request reads
    for dataset, level in _sensor_reads(request):
        why = decide(request, who, dataset, level, "sensorthings", purpose)
        if level is not AccessLevel.open:
            state(request).audit.record(who, "sensorthings", dataset, level, why, {"path": request.url.path})


async def guard(request: Request, who: Who) -> None:
    """The one access check: what the matched route declares it serves, for who asks."""
    route = request.scope.get("route")
    rule = declared(getattr(route, "openapi_extra", None))
    if rule is None:
        raise ApiError(500, "this route declares no access rule: it serves nothing until it does")
    request.scope[READABLE] = partial(_may_read, who)
    request.scope[FIGURES] = partial(_figures_shown, who)
    purpose = (request.query_params.get("purpose") or None) if request.query_params else None
    purpose = purpose[:MAX_PURPOSE] if purpose else None
    kind = rule["kind"]
    if kind == "public":
        request.scope[CACHEABLE] = who.anonymous
        return
    if kind == "admin":
        if not who.admin:
            reason = f"role {who.role.value} does not read operations data"
            await run_in_threadpool(_deny, request, who, OPERATIONS, AccessLevel.restricted, "admin", reason)
            raise ApiError(401 if who.anonymous else 403, reason, hint="an administrator's token reads it")
        return
    if kind == "sensors":
        await run_in_threadpool(_sensors, request, who, purpose)
        return
    pub = await publication(request)
    request.state.publication = pub
    meta = _resolve(pub, request.path_params[rule["param"]], rule["lookup"])
    if meta is None:  # open reference data (the boundaries' collection)
        request.scope[CACHEABLE] = who.anonymous
        return
    action = str(rule.get("action") or getattr(route, "name", None) or "read")
    detail = {k: v for k, v in request.query_params.multi_items() if k != "purpose"}
    if rule.get("raw_input") and who.anonymous and level_of(request, meta) is not AccessLevel.open:
        level = level_of(request, meta)
        reason = "raw input of a non-open dataset is never served to anonymous callers"
        await run_in_threadpool(_deny, request, who, meta.id, level, action, reason)
        raise ApiError(401, f"dataset {meta.id!r} is {level.value}: {reason}", hint="send a token: Bearer <token>")
    if level_of(request, meta) is AccessLevel.open and readable(request, who, meta):
        # an open read, audited by no one: an anonymous caller's answer may be served again (api/cache.py)
        request.scope[CACHEABLE] = who.anonymous
        return
    await run_in_threadpool(authorize, request, who, meta, action, purpose, detail)
