"""Landing retention: keep the last N raw versions of every source, remove older payloads.

A version is a distinct content hash a source's fetches returned; the N most recently seen are
kept (``policies.yaml``: ``retention.landing.keep_versions``, default 5), and so is every
payload a source currently points at. A payload shared by several sources stays while any of
them keeps it.
"""

from __future__ import annotations

from typing import Any

from territoria.engines.base import Engine
from territoria.landing import Landing
from territoria.pipelines.records import META


def keep_versions(policies: dict[str, Any]) -> int:
    landing = (policies.get("retention") or {}).get("landing") or {}
    return max(1, int(landing.get("keep_versions", 5)))


def apply_retention(engine: Engine, landing: Landing, keep: int) -> list[str]:
    """Remove payloads beyond the ``keep`` most recent versions of every source; return their hashes."""
    rows = engine.fetch_all(
        f"""WITH versions AS (
                SELECT dataset, sha256, max(fetched_at) AS seen FROM {META}.fetches
                WHERE sha256 IS NOT NULL GROUP BY dataset, sha256),
            ranked AS (
                SELECT sha256, row_number() OVER (PARTITION BY dataset ORDER BY seen DESC) AS rank FROM versions)
            SELECT sha256 FROM ranked GROUP BY sha256
            HAVING min(rank) > ?
               AND sha256 NOT IN (SELECT sha256 FROM {META}.source_state WHERE sha256 IS NOT NULL)""",
        [keep],
    )
    removed = [r[0] for r in rows if landing.has(r[0])]
    for sha in removed:
        landing.remove(sha)
    return removed
