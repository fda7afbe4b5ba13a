"""Where the personal-data records live: ``.territoria/personal/``, owner-only, files 0600."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DIR = "personal"


def personal_dir(private: Path) -> Path:
    """``.territoria/personal/``: keys, consent ledger, erasure record, re-identification table."""
    folder = private / DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@contextmanager
def private_db(path: Path) -> Iterator[sqlite3.Connection]:
    """A SQLite file created 0600 (whatever the umask), in one transaction per block."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, timeout=10)
    try:
        with db:
            yield db
    finally:
        db.close()
