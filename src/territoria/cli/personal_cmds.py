"""territoria personal | retention | register: personal data under the GDPR (docs/personal-data.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from territoria.cli.common import WorkspaceOpt, audit_log, console, open_workspace, operator, output_file
from territoria.core.errors import UserError
from territoria.core.wording import counted

if TYPE_CHECKING:
    from territoria.governance.personal.erasure import Erasure

personal_app = typer.Typer(help="Personal data: pseudonymisation keys, consent, re-identification.")
consent_app = typer.Typer(help="The consent ledger: a withdrawal removes the person at the next run.")
retention_app = typer.Typer(help="Retention per dataset: what the next enforcement erases, and erase it (signed).")
personal_app.add_typer(consent_app, name="consent")

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Dataset = Annotated[str, typer.Option("--dataset", "-d", help="The personal dataset the consent is about.")]
Subject = Annotated[
    str, typer.Option("--subject", help="The person's identifier as the producer writes it (stored as pseudonyms).")
]
Purpose = Annotated[str, typer.Option("--purpose", help="The processing the consent is about.")]
On = Annotated[str | None, typer.Option("--on", help="Date of the event (YYYY-MM-DD; default: today).")]


def register(app: typer.Typer) -> None:
    app.add_typer(personal_app, name="personal")
    app.add_typer(retention_app, name="retention")
    app.command("register")(register_cmd)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--on: {text!r} is not a date", hint="write it YYYY-MM-DD, e.g. 2026-03-31") from None


def _known(ws_datasets: list[str], dataset: str) -> None:
    from territoria.core.suggest import did_you_mean

    if dataset not in ws_datasets:
        raise UserError(
            f"no source dataset {dataset!r} in this workspace",
            hint=did_you_mean(dataset, ws_datasets) or "see `territoria catalog`",
        )


@personal_app.command("rotate-key")
def rotate_key(
    workspace: WorkspaceOpt = None,
    forget_retired: Annotated[
        bool, typer.Option(help="Destroy the retired keys: older pseudonyms can then never be matched again.")
    ] = False,
) -> None:
    """Make a new pseudonymisation key: the next run re-pseudonymises every personal dataset with it."""
    from territoria.governance.personal.keys import Keyring

    ws = open_workspace(workspace)
    with ws.lock():
        new_id, forgotten = Keyring(ws.private).rotate(forget_retired=forget_retired)
    console.print(f"[green]✓[/] new key {new_id}; run `territoria run` to re-pseudonymise the personal datasets")
    if forgotten:
        console.print(f"destroyed: {', '.join(forgotten)}")


@personal_app.command("keys")
def keys_cmd(workspace: WorkspaceOpt = None, as_json: Json = False) -> None:
    """The pseudonymisation keys held (ids and dates; never the secrets)."""
    from territoria.governance.personal.keys import Keyring

    keys = Keyring(open_workspace(workspace).private).describe()
    if as_json:
        print(json.dumps(keys))
        return
    table = Table("key", "created", "retired", "current")
    for k in keys:
        table.add_row(k["id"], k["created"][:19], (k["retired"] or "")[:19], "✓" if k["current"] else "")
    console.print(table)


def _consent(workspace: Path | None, dataset: str, subject: str, purpose: str, on: str | None, event: str) -> None:
    from territoria.governance.personal.consent import ConsentLedger

    ws = open_workspace(workspace)
    _known(list(ws.entries()), dataset)
    kind: Literal["given", "withdrawn"] = "withdrawn" if event == "withdrawn" else "given"
    with ws.lock():
        ConsentLedger(ws.private).record(subject, dataset, purpose, kind, _day(on))
    console.print(f"[green]✓[/] consent {kind} recorded for {dataset} (the person is stored as pseudonyms only)")
    if kind == "withdrawn":
        console.print(
            "the person's rows leave staging, derived tables and the publication at the next `territoria run`"
        )


@consent_app.command("withdraw")
def withdraw(
    dataset: Dataset, subject: Subject, purpose: Purpose, on: On = None, workspace: WorkspaceOpt = None
) -> None:
    """Record that a person withdrew their consent."""
    _consent(workspace, dataset, subject, purpose, on, "withdrawn")


@consent_app.command("give")
def give(dataset: Dataset, subject: Subject, purpose: Purpose, on: On = None, workspace: WorkspaceOpt = None) -> None:
    """Record that a person gave (or gave again) their consent."""
    _consent(workspace, dataset, subject, purpose, on, "given")


@consent_app.command("list")
def consent_list(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    workspace: WorkspaceOpt = None,
    as_json: Json = False,
) -> None:
    """Consent events (pseudonyms, never identifiers)."""
    from dataclasses import asdict

    from territoria.governance.personal.consent import ConsentLedger

    events = ConsentLedger(open_workspace(workspace).private).events(dataset)
    if as_json:
        print(json.dumps([asdict(e) for e in events], default=str))
        return
    table = Table("on", "event", "dataset", "purpose", "subject (pseudonym)")
    for e in events:
        table.add_row(e.on.isoformat(), e.event, e.dataset, e.purpose, e.subject[:20] + "…")
    console.print(table)


@personal_app.command("reidentify")
def reidentify(
    pseudonym: Annotated[str, typer.Argument(help="The pseudonym (k1:…) to re-identify.")],
    dataset: Dataset,
    purpose: Annotated[str, typer.Option("--purpose", help="Why (written to the audit log before the read).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Show the identifier behind a pseudonym (administrators only; audited)."""
    from territoria.governance.personal.reident import ReidentificationTable

    ws = open_workspace(workspace)
    found = ReidentificationTable(ws.private).lookup(
        pseudonym, dataset, who=operator(), purpose=purpose, audit=audit_log(ws)
    )
    print(found)


@retention_app.command("plan")
def retention_plan(workspace: WorkspaceOpt = None, as_json: Json = False) -> None:
    """What `territoria retention apply` would erase now."""
    from dataclasses import asdict

    from territoria.governance.personal import erasure
    from territoria.ledger import now
    from territoria.workspace.policies import as_policies

    ws = open_workspace(workspace)
    with ws.engine() as engine:
        items = erasure.plan(ws.private, ws.landing, engine, as_policies(ws.policies()), now())
    if as_json:
        print(json.dumps([asdict(i) for i in items]))
        return
    _show(items, "nothing to erase: every copy is within its retention")


@retention_app.command("apply")
def retention_apply(workspace: WorkspaceOpt = None, as_json: Json = False) -> None:
    """Erase what the retention rules no longer keep; each erasure is recorded and signed."""
    from dataclasses import asdict

    from territoria.governance.personal import erasure
    from territoria.governance.personal.keys import Keyring
    from territoria.ledger import now
    from territoria.workspace.policies import as_policies

    ws = open_workspace(workspace)
    with ws.engine() as engine:
        signing = Keyring(ws.private).signing()
        done = erasure.apply(ws.private, ws.landing, engine, as_policies(ws.policies()), now(), signing)
    if as_json:
        print(json.dumps([asdict(i) for i in done]))
        return
    _show(done, "nothing erased: every copy is within its retention")
    if done:
        console.print(f"[green]✓[/] {counted(len(done), 'erasure')} recorded in .territoria/personal/{erasure.RECORD}")


@retention_app.command("verify")
def retention_verify(workspace: WorkspaceOpt = None) -> None:
    """Check the signatures and the order of the erasure record."""
    from territoria.governance.personal.erasure import ErasureLog
    from territoria.governance.personal.keys import Keyring

    ws = open_workspace(workspace)
    log = ErasureLog(ws.private, Keyring(ws.private).signing())
    problems = log.verify()
    if problems:
        for p in problems:
            console.print(f"[red]✗[/] {p}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] {counted(len(log.entries()), 'erasure')}, every one signed and in its place")


def _show(items: list[Erasure], empty: str) -> None:
    if not items:
        console.print(empty)
        return
    table = Table("dataset", "copy", "what", "size", "made", "why")
    for i in items:
        size = counted(i.size, "row" if i.layer == "staging" else "byte")
        table.add_row(i.dataset, i.layer, i.what[:40], size, i.made[:19], i.reason)
    console.print(table)


def register_cmd(
    workspace: WorkspaceOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or html.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the document to this file.")] = None,
) -> None:
    """The register of processing activities (GDPR article 30), generated from the workspace."""
    from territoria.governance.personal.register import build_register, to_html, to_markdown

    if fmt not in ("markdown", "html"):
        raise UserError(f"--format: {fmt!r} is not a register format", hint="markdown or html")
    reg = build_register(open_workspace(workspace))
    text = to_html(reg) if fmt == "html" else to_markdown(reg)
    if output is None:
        print(text, end="")
        return
    output_file(output).write_text(text, encoding="utf-8")
    activities = counted(len(reg.entries), "processing activity", "processing activities")
    console.print(f"[green]✓[/] register written to {output} ({activities})")
