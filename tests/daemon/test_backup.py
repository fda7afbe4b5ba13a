"""A backup restores the same publication (table hashes), lineage and audit chain elsewhere."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from territoria.cli.main import app
from territoria.core.errors import UserError
from territoria.core.vocab import AccessLevel, Role
from territoria.daemon.backup import restore_backup, write_backup
from territoria.governance.access import ACCESS_DB, AccessStore, Principal
from territoria.governance.audit import AuditLog
from territoria.pipelines import run_pipeline
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace, init_workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("backup") / "ws", communes=["35238", "35047"])
    with ws.engine() as engine:
        run_pipeline(ws, engine)
    log = AuditLog(AccessStore(ws.private / ACCESS_DB))
    agent = Principal("Jeanne", Role.agent, token_id="t1")
    for n in range(3):
        log.record(agent, "rows", "population-communes", AccessLevel.restricted, f"étude {n}")
    return ws


def _tables(ws: Workspace) -> dict[str, str]:
    snap = current_snapshot(ws.private)
    assert snap is not None
    manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
    return {name: table["hash"] for name, table in manifest["tables"].items()}


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_restored_backup_serves_the_same_publication_lineage_and_audit(built: Workspace, tmp_path: Path) -> None:
    archive = tmp_path / "ws.tar.gz"
    _cli("backup", "-w", str(built.root), "-o", str(archive))
    _cli("restore", str(archive), "-w", str(tmp_path / "copy"))
    copy = Workspace(tmp_path / "copy")
    assert _tables(copy) == _tables(built) and _tables(copy)
    for dataset in ("densite_population",):
        assert _cli("lineage", dataset, "-w", str(copy.root), "--json") == _cli(
            "lineage", dataset, "-w", str(built.root), "--json"
        )
    assert "audit log intact: 3 entries" in _cli("audit", "verify", "-w", str(copy.root))
    # the restored workspace is a working one: a run finds nothing to redo
    with copy.engine() as engine:
        summary = run_pipeline(copy, engine, hooks=[])
    assert summary.count("success") == 0 and summary.status == "success"


def test_restore_refuses_a_damaged_archive_and_a_used_folder(built: Workspace, tmp_path: Path) -> None:
    archive = tmp_path / "ws.tar.gz"
    write_backup(built, archive)
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("x")
    with pytest.raises(UserError, match="not empty"):
        restore_backup(archive, used)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member)
            payload = data.read() if data is not None else b""
            if member.name == "workspace/territory.yaml":
                payload += b"# edited\n"
                member.size = len(payload)
            dst.addfile(member, io.BytesIO(payload))
    with pytest.raises(UserError, match="does not match its manifest"):
        restore_backup(damaged, tmp_path / "new")
    assert not (tmp_path / "new").exists()  # nothing half restored
    with pytest.raises(UserError, match="inside the workspace"):
        write_backup(built, built.root / "self.tar.gz")
