"""``territoria backup`` / ``restore``: a consistent archive of a workspace, and back.

Taken under the workspace lock, so no run writes the store, the landing, the records or the
publication while they are copied (``territoria up`` defers its triggers meanwhile; a run in
progress finishes first). The two files written outside that lock are taken their own
consistent way: the access store (tokens and the audit log, written by the API on every
audited read) through SQLite's online backup inside an ``IMMEDIATE`` transaction, with the
audit head file read in the same transaction; the sensor store's files are each written
atomically by the listener and its keys are idempotent, so a file copied a moment early holds
observations that the broker's redelivery or the next uplinks complete.

The archive is a ``.tar.gz`` whose first member, ``MANIFEST.json``, lists every file with its
size and SHA-256; ``restore`` refuses an archive whose files do not match it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from territoria import __version__
from territoria.core.errors import UserError
from territoria.core.wording import counted
from territoria.governance.access import ACCESS_DB
from territoria.workspace import Workspace
from territoria.workspace.workspace import PRIVATE

MANIFEST = "MANIFEST.json"
#: never archived: scratch space, the lock files, half-written temporary files
SKIP_DIRS = {f"{PRIVATE}/tmp", f"{PRIVATE}/landing/tmp"}
SKIP_NAMES = {"lock"}


def _walk(root: Path) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        dirs[:] = sorted(d for d in dirs if f"{rel}/{d}".lstrip("./") not in SKIP_DIRS)
        for name in sorted(names):
            if name in SKIP_NAMES or name.endswith(".tmp"):
                continue
            files.append(Path(folder) / name)
    return files


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _access_copy(ws: Workspace) -> dict[str, bytes]:
    """The access store and the files beside it that must agree with it, read in one transaction."""
    path = ws.private / ACCESS_DB
    if not path.exists():
        return {}
    heads = sorted(p for p in ws.private.iterdir() if p.name.startswith(f"{ACCESS_DB}.") and p.is_file())
    with tempfile.TemporaryDirectory(dir=ws.tmp_dir) as tmp:
        copy = Path(tmp) / ACCESS_DB
        writer = sqlite3.connect(path, timeout=30)
        try:
            writer.execute("BEGIN IMMEDIATE")  # the API's audit writes wait until the head is read too
            src, dst = sqlite3.connect(path, timeout=30), sqlite3.connect(copy)
            try:
                src.backup(dst)  # another connection: a backup cannot read through the one holding the lock
            finally:
                src.close()
                dst.close()
            found = {p.relative_to(ws.root).as_posix(): p.read_bytes() for p in heads}
            writer.execute("ROLLBACK")
        finally:
            writer.close()
        found[path.relative_to(ws.root).as_posix()] = copy.read_bytes()
    return found


def write_backup(ws: Workspace, output: Path, *, wait_seconds: float = 600.0) -> dict[str, Any]:
    output = output.resolve()
    if output.is_relative_to(ws.root):
        raise UserError(f"{output} is inside the workspace", hint="write the archive outside the workspace folder")
    output.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    tmp_out = output.with_name(output.name + ".part")
    with ws.lock(wait_seconds), tarfile.open(tmp_out, "w:gz", compresslevel=6) as tar:
        apart = _access_copy(ws)
        members: list[tuple[str, bytes | Path]] = [(k, v) for k, v in apart.items()]
        for path in _walk(ws.root):
            rel = path.relative_to(ws.root).as_posix()
            if rel in apart or rel.startswith(f"{ACCESS_DB}-") or rel.startswith(f"{PRIVATE}/{ACCESS_DB}-"):
                continue  # the WAL and shared memory of the access store: its copy above holds them
            members.append((rel, path))
        payloads = []
        for rel, what in members:
            data = what if isinstance(what, bytes) else what.read_bytes()
            files[rel] = {"bytes": len(data), "sha256": _digest(data)}
            payloads.append((rel, data))
        manifest = {
            "format": 1,
            "territoria": __version__,
            "workspace": ws.config.name,
            "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "bytes": sum(f["bytes"] for f in files.values()),
            "files": files,
        }
        _add(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        for rel, data in payloads:
            _add(tar, f"workspace/{rel}", data)
    os.replace(tmp_out, output)
    output.chmod(0o600)  # it holds the tokens' hashes, the audit log and restricted data
    return manifest


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def restore_backup(archive: Path, target: Path) -> dict[str, Any]:
    if not archive.is_file():
        raise UserError(f"no archive at {archive}", hint="pass the file written by `territoria backup -o FILE`")
    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise UserError(f"{target} is not empty", hint="restore into a new or empty folder")
    # everything is written beside the target and renamed into place once checked: no half restore
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        manifest = _extract(archive, Path(tmp))
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
        target.chmod(0o755)
        Path(tmp).mkdir()  # for the context manager's clean-up
    Workspace(target)  # opens: the restored configuration is valid
    return manifest


def _extract(archive: Path, target: Path) -> dict[str, Any]:
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115  # closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise UserError(f"{archive} is not a territoria backup: {exc}", hint="it is a .tar.gz with a manifest") from exc
    with tar:
        first = tar.next()
        reader = tar.extractfile(first) if first is not None and first.name == MANIFEST else None
        if reader is None:
            raise UserError(f"{archive} has no {MANIFEST}", hint="it was not written by `territoria backup`")
        manifest: dict[str, Any] = json.loads(reader.read())
        expected = manifest["files"]
        seen = set()
        for member in tar:
            if member is first:
                continue
            rel = member.name.removeprefix("workspace/")
            if rel not in expected or not member.isfile() or Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise UserError(f"{archive}: unexpected member {member.name}", hint="the archive was altered")
            source = tar.extractfile(member)
            data = source.read() if source is not None else b""
            if _digest(data) != expected[rel]["sha256"]:
                raise UserError(f"{archive}: {rel} does not match its manifest", hint="the archive is damaged")
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            seen.add(rel)
        missing = set(expected) - seen
        if missing:
            lacks = counted(len(missing), "file")
            raise UserError(f"{archive} lacks {lacks} of its manifest", hint="the archive is truncated")
    (target / PRIVATE).mkdir(mode=0o700, exist_ok=True)
    (target / PRIVATE).chmod(0o700)
    for rel in seen:
        if rel.startswith(f"{PRIVATE}/"):
            (target / rel).chmod(0o600)
    return manifest


__all__ = ["MANIFEST", "restore_backup", "write_backup"]
