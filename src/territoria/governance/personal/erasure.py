"""Retention enforced per dataset (``policies.yaml`` → ``retention.datasets``), with a signed record.

Three copies of a dataset age separately, each against its own horizon:

- ``landing_days``: the raw landed versions of the dataset (the bytes as fetched; for personal
  data the only place direct identifiers exist), aged by when they were written to the landing
  area; the current one included: raw personal bytes are not kept beyond their retention even if
  staging was built from them (a later run lands the source again if it is still supplied);
- ``staging_days``: the staging table and its quarantine, aged by their last ingest; the next
  run rebuilds them only from a source still supplied, and derived tables follow;
- ``published_days``: the dataset's copies in earlier publication snapshots, its published rows
  and its quarantined ones (the current one is what is served; it is replaced by the next run);
- ``fields``: a field of the current version first ingested more than N days ago is marked
  expired (``versions.py``); the next run ingests again and blanks it, in staging and in
  everything derived and published.

``plan`` lists what ``apply`` would erase now; ``apply`` erases exactly that list and appends one
entry per erasure to ``.territoria/personal/erasures.jsonl``: what, when, how many bytes or rows,
why, chained to the entry before it and signed with the workspace's signing key (HMAC-SHA256,
``keys.py``), so that an edited, removed or reordered entry shows in ``verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from territoria.core.wording import counted
from territoria.engines.base import Engine, quote_ident
from territoria.governance.personal.files import DIR, personal_dir
from territoria.governance.personal.versions import Versions
from territoria.landing import Landing
from territoria.ledger import META, dataset_states, fetch_history
from territoria.workspace.policies import Policies

RECORD = "erasures.jsonl"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Erasure:
    dataset: str
    #: ``landing``, ``staging``, ``published`` or ``field``
    layer: str
    #: the landed object's hash, the table, or the snapshot file
    what: str
    #: bytes (files) or rows (tables) erased
    size: int
    #: when the copy was made (UTC)
    made: str
    reason: str


def _older(made: datetime, days: int, now: datetime) -> bool:
    return made < now - timedelta(days=days)


def plan(private: Path, landing: Landing, engine: Engine, policies: Policies, now: datetime) -> list[Erasure]:
    """What ``apply`` would erase at ``now`` (naive UTC), in a stable order."""
    out: list[Erasure] = []
    rules = policies.retention.datasets
    for dataset, rule in sorted(rules.items()):
        if rule.landing_days is not None:
            out += _landing(landing, engine, dataset, rule.landing_days, now)
        if rule.staging_days is not None:
            out += _staging(engine, dataset, rule.staging_days, now)
        if rule.published_days is not None:
            out += _published(private, dataset, rule.published_days, now)
        out += _fields(private, engine, dataset, rule.fields, now)
    return out


def _fields(private: Path, engine: Engine, dataset: str, fields: dict[str, int], now: datetime) -> list[Erasure]:
    """Fields of the current version past their retention (blanked by the next run's ingest)."""
    current = Versions(private).current(dataset) if fields else None
    if current is None:
        return []
    sha, first = current
    done = set(Versions(private).expired(dataset, sha))
    rows = (
        int(dataset_states(engine).get(dataset, (None, 0, None))[1] or 0)
        if engine.table_exists(META, "datasets")
        else 0
    )
    return [
        Erasure(
            dataset,
            "field",
            f"{sha}:{name}",
            rows,
            first.isoformat(),
            f"field older than {counted(days, 'day')}: blanked by the next run",
        )
        for name, days in sorted(fields.items())
        if name not in done and _older(first, days, now)
    ]


def _landing(landing: Landing, engine: Engine, dataset: str, days: int, now: datetime) -> list[Erasure]:
    out = []
    shas = sorted({sha for ds, sha, _ in fetch_history(engine) if ds == dataset and sha})
    for sha in shas:
        for path in (landing.path(sha), landing.archived(sha)):
            if not path.is_file():
                continue
            made = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
            if _older(made, days, now):
                reason = f"raw version older than {counted(days, 'day')}"
                out.append(Erasure(dataset, "landing", sha, path.stat().st_size, made.isoformat(), reason))
    return out


def _staging(engine: Engine, dataset: str, days: int, now: datetime) -> list[Erasure]:
    state = dataset_states(engine).get(dataset) if engine.table_exists(META, "datasets") else None
    if state is None or not engine.table_exists("staging", dataset) or not _older(state[2], days, now):
        return []
    older = f"older than {counted(days, 'day')}"
    out = [
        Erasure(
            dataset,
            "staging",
            f"staging.{dataset}",
            int(state[1] or 0),
            state[2].isoformat(),
            older,
        )
    ]
    if engine.table_exists("quarantine", dataset):
        rows = int(engine.fetch_all(f"SELECT count(*) FROM quarantine.{quote_ident(dataset)}")[0][0])
        out.append(Erasure(dataset, "staging", f"quarantine.{dataset}", rows, state[2].isoformat(), older))
    return out


def _published(private: Path, dataset: str, days: int, now: datetime) -> list[Erasure]:
    root = private / "publication"
    pointer = root / "current.json"
    if not pointer.is_file():
        return []
    current = json.loads(pointer.read_text(encoding="utf-8"))["run_id"]
    out = []
    for snap in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != current):
        manifest = snap / "manifest.json"
        # the published rows, and the rows validation set aside (raw input: publication/quarantine.py)
        for folder in ("published", "quarantine"):
            target = snap / folder / f"{dataset}.parquet"
            if not target.is_file() or not manifest.is_file():
                continue
            made = datetime.fromisoformat(json.loads(manifest.read_text(encoding="utf-8"))["created_at"])
            made = made.replace(tzinfo=None)
            if _older(made, days, now):
                rel = f"publication/{snap.name}/{folder}/{dataset}.parquet"
                reason = f"earlier publication older than {counted(days, 'day')}"
                out.append(Erasure(dataset, "published", rel, target.stat().st_size, made.isoformat(), reason))
    return out


def apply(
    private: Path, landing: Landing, engine: Engine, policies: Policies, now: datetime, signing: bytes
) -> list[Erasure]:
    """Erase what ``plan`` lists at ``now``; record and sign each erasure; return them."""
    done = []
    log = ErasureLog(private, signing)
    for item in plan(private, landing, engine, policies, now):
        _erase(private, landing, engine, item)
        log.append(item, now)
        done.append(item)
    return done


def _erase(private: Path, landing: Landing, engine: Engine, item: Erasure) -> None:
    if item.layer == "landing":
        for path in (landing.path(item.what), landing.archived(item.what)):
            if path.is_file():
                path.chmod(0o600)
                path.unlink()
    elif item.layer == "field":
        sha, field = item.what.split(":", 1)
        Versions(private).expire(item.dataset, sha, field)
    elif item.layer == "staging":
        schema, name = item.what.split(".", 1)
        engine.execute(f"DROP TABLE IF EXISTS {quote_ident(schema)}.{quote_ident(name)}")
    else:
        (private / item.what).unlink(missing_ok=True)


class ErasureLog:
    """The signed, chained record of erasures (one JSON object per line)."""

    def __init__(self, private: Path, signing: bytes) -> None:
        self.path = private / DIR / RECORD
        self.signing = signing

    def _sign(self, prev: str, body: dict[str, Any]) -> str:
        text = json.dumps([prev, body], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hmac.new(self.signing, text.encode(), hashlib.sha256).hexdigest()

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def append(self, item: Erasure, at: datetime) -> None:
        entries = self.entries()
        prev = entries[-1]["signature"] if entries else GENESIS
        body = {"seq": len(entries) + 1, "at": at.isoformat(), **asdict(item)}
        entry = {**body, "prev": prev, "signature": self._sign(prev, body)}
        personal_dir(self.path.parent.parent)
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def verify(self) -> list[str]:
        """What is wrong with the record (empty: every entry is signed and in its place)."""
        problems, prev = [], GENESIS
        for n, entry in enumerate(self.entries(), start=1):
            body = {k: v for k, v in entry.items() if k not in ("prev", "signature")}
            if entry.get("seq") != n or entry.get("prev") != prev:
                problems.append(f"entry {n}: not in its place (an entry was removed or moved)")
            if not hmac.compare_digest(str(entry.get("signature")), self._sign(str(entry.get("prev")), body)):
                problems.append(f"entry {n}: its signature does not match its content")
            prev = str(entry.get("signature"))
        return problems
