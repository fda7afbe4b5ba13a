"""Retention and compression of raw landed versions (``policies.yaml`` → ``retention.landing``).

``prune`` deletes landed objects that no recent fetch refers to: for each source dataset the
objects of its last ``keep_versions`` distinct fetched versions are kept, plus any version
fetched in the last ``days`` days. Whatever current staging was built from is never deleted,
and objects no fetch record mentions (unknown provenance) are left alone.

``archive`` compresses the kept, non-current versions with zstd into ``landing/archive/``
(cold data: read only to audit or to rebuild an old state) and ``restore`` brings one back,
checked against its hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from territoria.core.errors import ConfigError, NotFoundError
from territoria.engines.base import Engine
from territoria.landing import Landing
from territoria.ledger import current_inputs, fetch_history
from territoria.workspace.policies import LandingRetention as LandingRetention  # re-exported for callers
from territoria.workspace.policies import Policies, as_policies

CHUNK = 1 << 20


def retention_policy(policies: Policies | Mapping[str, Any] | None) -> LandingRetention:
    return as_policies(policies).retention.landing


@dataclass
class PruneResult:
    removed: list[tuple[str, int]] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)
    protected: set[str] = field(default_factory=set)

    @property
    def bytes_freed(self) -> int:
        return sum(size for _, size in self.removed)


def archive_path(landing: Landing, sha: str) -> Path:
    return landing.archived(sha)


def keep_set(engine: Engine, policy: LandingRetention, now: datetime) -> tuple[set[str], set[str], set[str]]:
    """(kept by policy, protected as current inputs, every version a fetch mentions)."""
    kept: set[str] = set()
    versions: dict[str, list[str]] = {}
    mentioned: set[str] = set()
    since = now - timedelta(days=policy.days) if policy.days is not None else None
    for dataset, sha, fetched_at in fetch_history(engine):
        if not sha:
            continue
        mentioned.add(sha)
        seen = versions.setdefault(dataset, [])
        if sha not in seen:
            seen.append(sha)
        if seen.index(sha) < policy.keep_versions or (since is not None and fetched_at >= since):
            kept.add(sha)
    return kept, current_inputs(engine), mentioned


def prune(
    landing: Landing, engine: Engine, policy: LandingRetention, now: datetime, *, dry_run: bool = False
) -> PruneResult:
    kept, protected, mentioned = keep_set(engine, policy, now)
    result = PruneResult(kept=kept, protected=protected)
    for sha in sorted(mentioned - kept - protected):
        for path in (landing.path(sha), archive_path(landing, sha)):
            if path.exists():
                result.removed.append((sha, path.stat().st_size))
                if not dry_run:
                    path.chmod(0o644)
                    path.unlink()
    return result


@dataclass
class ArchiveResult:
    archived: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def bytes_before(self) -> int:
        return sum(b for _, b, _ in self.archived)

    @property
    def bytes_after(self) -> int:
        return sum(a for _, _, a in self.archived)


def archive(landing: Landing, engine: Engine, policy: LandingRetention) -> ArchiveResult:
    """Compress every landed object that current staging does not come from."""
    protected = current_inputs(engine)
    result = ArchiveResult()
    for path in sorted(landing.objects.glob("*/*")):
        sha = path.name
        if sha in protected or not path.is_file():
            continue
        target = archive_path(landing, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        import pyarrow as pa  # zstd streams: loaded when archiving, not on import

        with path.open("rb") as src, pa.CompressedOutputStream(str(tmp), "zstd") as out:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                out.write(chunk)
        size = path.stat().st_size
        if tmp.stat().st_size >= size or _zst_sha256(tmp) != sha:
            # not worth it (tiny or incompressible), or the archive does not read back: keep the raw object
            tmp.unlink()
            continue
        tmp.replace(target)
        landing.remove(sha)
        result.archived.append((sha, size, target.stat().st_size))
    return result


def _zst_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    import pyarrow as pa  # zstd streams: loaded when archiving, not on import

    with pa.CompressedInputStream(str(path), "zstd") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def restore(landing: Landing, sha: str) -> Path:
    """Bring an archived version back into the landing area (its hash is checked on the way)."""
    source = archive_path(landing, sha)
    if landing.has(sha):
        return landing.path(sha)
    if not source.exists():
        raise NotFoundError(f"no archived version {sha[:12]}…", hint="see `territoria footprint prune --dry-run`")
    import pyarrow as pa  # zstd streams: loaded when archiving, not on import

    with pa.CompressedInputStream(str(source), "zstd") as stream:
        landed = landing.put_stream(iter(lambda: stream.read(CHUNK), b""))
    if landed.sha256 != sha:
        landing.remove(landed.sha256)
        raise ConfigError(f"the archive of {sha[:12]}… is corrupt", hint="it was kept; restore it from a backup")
    source.unlink()
    return landed.path
