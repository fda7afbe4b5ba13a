"""Content and definition hashes: the keys of incremental runs and of the landing store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: ``json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))``
#: with its encoder built once, not at every call (a step's input key is hashed at every step)
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")).encode


def stable_hash(value: Any) -> str:
    """Hash of a JSON-serialisable value that does not depend on dict ordering."""
    text = _canonical(value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
