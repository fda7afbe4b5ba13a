"""The workspace's pseudonymisation keys: a keyed HMAC-SHA256 turns an identifier into a pseudonym.

The keys live in ``.territoria/personal/keys.json`` (0600, in the owner-only ``.territoria/``),
created on first need. A pseudonym names the key it was made with (``k1:<64 hex>``), so that
rotating the key is explicit: ``territoria personal rotate-key`` makes a new current key, the
next run re-pseudonymises every personal dataset with it (the key id is part of the ingest
step's definition), and pseudonyms made before the rotation no longer link to the new ones.
Retired keys are kept to match consent withdrawals recorded under them, until
``rotate-key --forget-retired`` destroys them.

A separate signing key (never rotated with the pseudonymisation keys) signs the erasure record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from territoria.core.errors import ConfigError
from territoria.core.jsonfile import write_json
from territoria.governance.personal.files import DIR, personal_dir

KEYS = "keys.json"


def normalise(value: str) -> str:
    """The same person written ``" ID-12 "`` or ``"ID-12"`` gets the same pseudonym."""
    return unicodedata.normalize("NFC", value).strip()


def digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    def pseudonym(self, value: str) -> str:
        return f"{self.id}:{digest(self.secret, value)}"


class Keyring:
    def __init__(self, private: Path) -> None:
        self.path = private / DIR / KEYS

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"the pseudonymisation keys ({self.path}) cannot be read: {exc}",
                hint="restore the file from a backup: without it, pseudonyms can no longer be matched",
            ) from exc
        return data

    def _save(self, data: dict[str, Any]) -> None:
        personal_dir(self.path.parent.parent)
        write_json(self.path, data)

    def _ensure(self) -> dict[str, Any]:
        data = self._load()
        if not data:
            data = {"current": "k1", "keys": {"k1": _new_key()}, "signing": secrets.token_hex(32)}
            self._save(data)
        return data

    def current(self) -> Key:
        """The key new pseudonyms are made with (created on first need)."""
        data = self._ensure()
        return Key(data["current"], bytes.fromhex(data["keys"][data["current"]]["secret"]))

    def all(self) -> list[Key]:
        """Every key still held, current first: a pseudonym made with any of them can be matched."""
        data = self._ensure()
        ids = [data["current"], *sorted(k for k in data["keys"] if k != data["current"])]
        return [Key(i, bytes.fromhex(data["keys"][i]["secret"])) for i in ids]

    def current_id(self) -> str:
        """The current key's id, without creating the keyring (planning a run writes nothing)."""
        return str(self._load().get("current", "k1"))

    def signing(self) -> bytes:
        return bytes.fromhex(self._ensure()["signing"])

    def rotate(self, *, forget_retired: bool = False) -> tuple[str, list[str]]:
        """Make a new current key; return its id and the ids of the keys destroyed."""
        data = self._ensure()
        now = datetime.now(UTC).isoformat()
        data["keys"][data["current"]]["retired"] = now
        number = 1 + max(int(k[1:]) for k in data["keys"])
        new_id = f"k{number}"
        data["keys"][new_id] = _new_key()
        forgotten: list[str] = []
        if forget_retired:
            forgotten = sorted(k for k in data["keys"] if k != new_id)
            for k in forgotten:
                del data["keys"][k]
        data["current"] = new_id
        self._save(data)
        return new_id, forgotten

    def describe(self) -> list[dict[str, Any]]:
        """The keys without their secrets: id, created, retired, current."""
        data = self._ensure()
        return [
            {"id": k, "created": v["created"], "retired": v.get("retired"), "current": k == data["current"]}
            for k, v in sorted(data["keys"].items(), key=lambda kv: int(kv[0][1:]))
        ]


def _new_key() -> dict[str, Any]:
    return {"secret": secrets.token_hex(32), "created": datetime.now(UTC).isoformat(), "retired": None}
