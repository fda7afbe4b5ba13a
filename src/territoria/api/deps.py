"""Request-scoped dependencies: the publication, the caller, and the access check with its audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from territoria.api.errors import ApiError
from territoria.core.vocab import AccessLevel
from territoria.governance.access import ANONYMOUS, AccessPolicy, AccessStore, Principal
from territoria.governance.audit import AuditLog
from territoria.publication.reader import DatasetMeta, Publication, PublicationSource
from territoria.workspace import Workspace


@dataclass
class ApiState:
    workspace: Workspace
    source: PublicationSource
    store: AccessStore
    audit: AuditLog
    policy: AccessPolicy


def state(request: Request) -> ApiState:
    found: ApiState = request.app.state.territoria
    return found


async def publication(request: Request) -> Publication:
    # Dependencies are async so that a request costs no thread hop; loading a new snapshot
    # (once per run) is done in a worker thread.
    source = state(request).source
    current = source.fresh()
    return current if current is not None else await run_in_threadpool(source.get)


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
        raise ApiError(401, "invalid or revoked token", hint="ask an administrator: `territoria users add`")
    return who


Pub = Annotated[Publication, Depends(publication)]
Who = Annotated[Principal, Depends(principal)]
Purpose = Annotated[
    str | None,
    Query(max_length=500, description="Why you read restricted or personal data (written to the audit log)."),
]


def authorize(
    request: Request, who: Principal, meta: DatasetMeta, action: str, purpose: str | None, detail: dict[str, Any]
) -> None:
    """Refuse what ``who`` may not read; write every allowed non-open read to the audit log."""
    st = state(request)
    decision = st.policy.decide(who, meta.id, meta.access)
    if not decision.allowed:
        if who.anonymous:
            raise ApiError(401, f"dataset {meta.id!r} is {meta.access.value}", hint="send a token: Bearer <token>")
        raise ApiError(403, decision.reason, hint="a convention in policies.yaml can grant a partner access")
    if meta.access is AccessLevel.open:
        return
    why = purpose or (decision.convention.purpose if decision.convention else None)
    if meta.access is AccessLevel.personal and not why:
        raise ApiError(
            400, f"dataset {meta.id!r} holds personal data: say why you read it", hint="add ?purpose=... to the request"
        )
    st.audit.record(who, action, meta.id, meta.access, why, {**detail, "reason": decision.reason})


async def authorize_async(
    request: Request, who: Principal, meta: DatasetMeta, action: str, purpose: str | None, detail: dict[str, Any]
) -> None:
    """``authorize`` for async routes: open data is decided in place, audited reads in a thread."""
    if meta.access is AccessLevel.open and readable(request, who, meta):
        return
    await run_in_threadpool(authorize, request, who, meta, action, purpose, detail)


def readable(request: Request, who: Principal, meta: DatasetMeta) -> bool:
    return state(request).policy.decide(who, meta.id, meta.access).allowed
