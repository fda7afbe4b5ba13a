"""Files under .territoria/ are the owner's alone: the folder is 0700, landed payloads 0400."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from territoria.workspace import Workspace, init_workspace


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_folder_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        ws = init_workspace(tmp_path / "ws", communes=["35238"])
        assert _mode(ws.private) == 0o700
        landed = ws.landing.put_stream([b"code;nom\\n35238;Rennes\\n"])
        assert _mode(landed.path) == 0o400
    finally:
        os.umask(old)


def test_an_older_world_readable_folder_is_tightened_on_open(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=["35238"])
    ws.private.chmod(0o755)
    Workspace(ws.root)
    assert _mode(ws.private) == 0o700
