"""`territoria users ...`: tokens shown once, listed without their secret, revoked; the audit log."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import NotFoundError, UserError
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.workspace import Workspace


def test_users_add_list_revoke(small_ws: Workspace) -> None:
    runner = CliRunner()
    w = ["-w", str(small_ws.root)]
    added = runner.invoke(app, ["users", "add", "Élue climat", "--role", "elu", *w])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    token_id = token.split("_")[1]
    assert re.fullmatch(r"tt_[0-9a-f]{8}_\S+", token)
    who = AccessStore(small_ws.private / ACCESS_DB).authenticate(token)
    assert who is not None and who.role.value == "elu" and who.name == "Élue climat"
    listed = runner.invoke(app, ["users", "list", *w])
    assert token_id in listed.output and token.split("_", 2)[2] not in listed.output
    assert runner.invoke(app, ["users", "revoke", token_id, *w]).exit_code == 0
    assert AccessStore(small_ws.private / ACCESS_DB).authenticate(token) is None
    again = runner.invoke(app, ["users", "revoke", token_id, *w])
    assert isinstance(again.exception, NotFoundError)
    bad_role = runner.invoke(app, ["users", "add", "x", "--role", "mayor", *w])
    assert bad_role.exit_code != 0 and "mayor" in bad_role.output
    partner = runner.invoke(app, ["users", "add", "x", "--role", "partner", *w])
    assert isinstance(partner.exception, UserError) and "organisation" in partner.exception.message
    assert runner.invoke(app, ["users", "audit", *w]).exit_code == 0


def test_serve_refuses_an_empty_workspace(small_ws: Workspace) -> None:
    from territoria.cli.serve_cmds import ensure_publication

    with pytest.raises(UserError, match="nothing has been built"):
        ensure_publication(small_ws)
