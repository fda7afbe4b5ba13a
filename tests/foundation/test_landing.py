"""The landing area's local-file copy: content-addressed by the bytes stored, read-only, atomic."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from territoria.landing.store import Landing


def test_put_file_lands_a_read_only_copy_named_by_its_hash(tmp_path: Path) -> None:
    src = tmp_path / "conso.csv"
    payload = b"code;valeur\n35238;1,5\n" * 50_000
    src.write_bytes(payload)
    landing = Landing(tmp_path / "landing")
    landed = landing.put_file(src)
    digest = hashlib.sha256(payload).hexdigest()
    assert (landed.sha256, landed.size, landed.new) == (digest, len(payload), True)
    assert landed.path == landing.path(digest) and landed.path.read_bytes() == payload
    assert stat.S_IMODE(landed.path.stat().st_mode) == 0o400
    # the source is copied, never moved or linked: changing it later changes nothing landed
    assert src.stat().st_ino != landed.path.stat().st_ino
    again = landing.put_file(src)
    assert (again.sha256, again.new) == (digest, False)
    assert list(landing.tmp.iterdir()) == []


def test_put_file_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    landing = Landing(tmp_path / "landing")
    with pytest.raises(FileNotFoundError):
        landing.put_file(tmp_path / "missing.csv")
    assert list(landing.tmp.iterdir()) == []
    assert list(landing.objects.iterdir()) == []
