"""serve, users: publish the workspace over HTTP and manage who may read what."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from territoria.cli.common import PortOpt, WorkspaceOpt, console, open_workspace
from territoria.core.errors import UserError
from territoria.core.suggest import did_you_mean
from territoria.core.wording import counted
from territoria.daemon.net import listening_socket
from territoria.governance.access import ACCESS_DB, AccessStore, Role, parse_duration
from territoria.governance.audit import AuditLog
from territoria.pipelines import build_plan
from territoria.pipelines.inspect import recent_runs
from territoria.pipelines.plan_cache import load_plan
from territoria.publication.snapshot import current_snapshot, write_snapshot
from territoria.workspace import Workspace

users_app = typer.Typer(
    help="API tokens: each carries a role (and an organisation for partners).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")


def ensure_publication(ws: Workspace) -> str:
    """The current publication's run id, publishing the store first if nothing was published yet."""
    snap = current_snapshot(ws.private)
    if snap is not None:
        return snap.run_id
    with ws.engine(wait_seconds=30) as engine:
        runs = recent_runs(engine, 1)
        if not runs:
            raise UserError("nothing has been built in this workspace yet", hint="run `territoria run` first")
        return write_snapshot(ws, engine, build_plan(ws), runs[0][0]).run_id


def serve(
    workspace: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: PortOpt = 8000,
    workers: Annotated[
        int, typer.Option(help="Server processes sharing the port (each keeps its own response cache).")
    ] = 1,
) -> None:
    """Serve the API, the OGC API Features, the DCAT feed (and the dashboard when installed).

    The server reads the last publication, never the store: `territoria run` keeps working
    while it serves, and the server switches to the new publication when the run ends.
    """
    import uvicorn

    from territoria.api.app import create_app

    ws = open_workspace(workspace)
    # the access rules are checked before anything is served: a broken or misplaced policies.yaml
    # stops the server at startup (a user error) rather than answering with the default rules
    ws.policies()
    run_id = ensure_publication(ws)
    if workers < 1:
        raise UserError(f"--workers {workers}: at least one worker is needed", hint="--workers 1 (the default)")
    # Bind and listen before saying where: `--port 0` then prints the port it got, and a client that
    # connects as soon as it reads the line waits in the backlog, not refused. Workers share the socket.
    app = create_app(ws.root) if workers == 1 else None
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    console.print(f"[green]✓[/] serving {ws.config.name} (publication {run_id}) on http://{host}:{bound}/")
    sys.stdout.flush()
    if app is not None:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_keep_alive=20))
        server.run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ["TERRITORIA_WORKSPACE"] = str(ws.root)  # the workers are spawned: they build their own app
    config = uvicorn.Config(
        "territoria.api.app:app_from_env", factory=True, workers=workers, log_level="warning", timeout_keep_alive=20
    )
    Multiprocess(config, sockets=[sock]).run()


audit_app = typer.Typer(help="The audit log of reads and refused attempts.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(workspace: WorkspaceOpt = None) -> None:
    """Check the audit log's hash chain: any edit, deletion or reordering is reported."""
    result = AuditLog(_store(workspace)).verify()
    if result.ok:
        console.print(f"[green]✓[/] audit log intact: {counted(result.entries, 'entry', 'entries')}")
        return
    for problem in result.problems:
        console.print(f"[red]✗[/] {problem}")
    raise typer.Exit(1)


def _store(workspace: WorkspaceOpt) -> AccessStore:
    ws = open_workspace(workspace)
    return AccessStore(ws.private / ACCESS_DB)


def _catalog_names(ws: Workspace) -> set[str]:
    """The datasets a token's scope may name: those the workspace declares (its catalog entries,
    models and indicators) and those of the current publication (the names the API decides on)."""
    names = {name for name in load_plan(ws).datasets if "." not in name}  # not the engine's schemas
    snap = current_snapshot(ws.private)
    if snap is not None:
        catalog = json.loads((snap.path / "catalog.json").read_text(encoding="utf-8"))
        names.update(doc["id"] for doc in catalog["datasets"])
    return names


def _check_scope(ws: Workspace, datasets: list[str]) -> None:
    """A scope naming no dataset is a typo that grants nothing today, and grants a dataset created
    later under that name without anyone deciding it: refused, with the close names."""
    known = _catalog_names(ws)
    for name in datasets:
        if name not in known:
            raise UserError(
                f"--scope {name}: no dataset {name!r} in this workspace",
                hint=did_you_mean(name, sorted(known)) or "`territoria catalog list` shows the datasets' names",
            )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Who the token is for (a person or an application).")],
    role: Annotated[Role, typer.Option(help="public, agent, elu, partner, contractor or admin.")],
    organisation: Annotated[
        str | None, typer.Option(help="Partner or contractor organisation (as named in policies.yaml conventions).")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Lifetime: 90d, 12h, 2w (default: until revoked).")] = None,
    scope: Annotated[
        str | None, typer.Option(help="Datasets the token may read beyond open data, comma-separated.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create a token. It is printed once: only its hash is kept."""
    lifetime = parse_duration(expires) if expires else None
    datasets = [d.strip() for d in scope.split(",") if d.strip()] if scope else None
    ws = open_workspace(workspace)
    if datasets:
        _check_scope(ws, datasets)
    token_id, token = AccessStore(ws.private / ACCESS_DB).add(
        name, role.value, organisation, expires=lifetime, scope=datasets
    )
    console.print(f"[green]✓[/] token {token_id} for {name} ({role.value}). Keep it now, it is not shown again:")
    print(token)


@users_app.command("list")
def users_list(workspace: WorkspaceOpt = None) -> None:
    """Tokens (never their secret) with their role and state."""
    table = Table("id", "name", "role", "organisation", "created", "revoked")
    for r in _store(workspace).list():
        table.add_row(
            r["token_id"], r["name"], r["role"], r["organisation"] or "", r["created_at"][:19], r["revoked_at"] or ""
        )
    console.print(table)


@users_app.command("revoke")
def users_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id (see `territoria users list`).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Revoke a token: it stops working at once, on running servers too."""
    _store(workspace).revoke(token_id)
    console.print(f"[green]✓[/] token {token_id} revoked")


@users_app.command("audit")
def users_audit(
    limit: Annotated[int, typer.Option(min=0, help="How many entries.")] = 50,
    dataset: Annotated[str | None, typer.Option(help="Only reads of this dataset.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Reads of restricted and personal data: who, what, when, why."""
    table = Table("when", "who", "role", "organisation", "action", "dataset", "access", "purpose")
    for e in AuditLog(_store(workspace)).entries(limit, dataset):
        table.add_row(
            e["at"][:19],
            e["who"],
            e["role"],
            e["organisation"] or "",
            e["action"],
            e["dataset"] or "—",  # none named (NULL; an empty string in logs written before)
            e["access"],
            e["purpose"] or "",
        )
    console.print(table)
