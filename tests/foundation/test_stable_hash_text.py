"""``stable_hash`` encodes with an encoder built once: the text it hashes is still exactly
``json.dumps`` with its keywords, so every stored input key and definition hash stays valid."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from territoria.core.hashing import stable_hash

VALUES = [
    ["def", ["1:123", None, "4:-9"]],
    {"b": 1, "a": {"z": [1.5, True], "é": "ligne\n"}},
    {"when": date(2026, 1, 2), "where": Path("/tmp/x")},
    "",
]


def test_the_hash_is_the_sha256_of_the_canonical_json_text() -> None:
    for value in VALUES:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
        assert stable_hash(value) == hashlib.sha256(text.encode("utf-8")).hexdigest()
