"""Each source at its own pace: when it is due, and whether its file changed.

A source is due one period after its last check: the period its catalog entry declares
(``frequency``, as the runner's cadence reads it), or the gap of its cron override in
``operations.schedules``. A file source is also watched: a new size or mtime, then a new
content hash, triggers its refresh at once. What is due and what was seen are kept in the
supervisor's state, so a restart resumes instead of checking every source again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from territoria.catalog.model import DatasetEntry
from territoria.core.cron import Cron
from territoria.daemon.state import DaemonState
from territoria.footprint.cadence import period as declared_period
from territoria.workspace.operations import OperationsPolicy

#: a scheduled check started later than this after its due time counts as missed
MISSED_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Source:
    dataset: str
    kind: str
    frequency: str
    #: the watched file of a ``file`` source
    path: Path | None
    cron: Cron | None

    def period(self, at: datetime) -> timedelta:
        return self.cron.period(at) if self.cron else declared_period(self.frequency)

    def next_after(self, at: datetime) -> datetime:
        return self.cron.next_after(at) if self.cron else at + declared_period(self.frequency)


def sources_of(root: Path, entries: dict[str, DatasetEntry], policy: OperationsPolicy) -> dict[str, Source]:
    found = {}
    for name, entry in entries.items():
        path = entry.source.options.get("path") if entry.source.kind == "file" else None
        cron = policy.schedules.get(name)
        found[name] = Source(
            name,
            entry.source.kind,
            entry.frequency,
            root / str(path) if path else None,
            Cron.parse(cron) if cron else None,
        )
    return found


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns)


def sha256_of(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


class Schedule:
    """Due times and file stamps of the workspace's sources, kept in ``state``."""

    def __init__(self, sources: dict[str, Source], state: DaemonState) -> None:
        self.sources = sources
        self.state = state
        self.missed = 0
        #: dataset -> a new stamp seen once: a file still being written is read when it stops changing
        self.settling: dict[str, tuple[int, int]] = {}

    def start(self, checks: dict[str, datetime | None], now: datetime) -> None:
        """Due times of the sources the state does not know yet: one period after their last
        check in the ledger, or now for a source never checked."""
        for name in list(self.state.next_due):
            if name not in self.sources:
                del self.state.next_due[name]
        for name, source in self.sources.items():
            if name not in self.state.next_due:
                checked = checks.get(name)
                due = source.next_after(checked) if checked else now
                self.state.next_due[name] = due.isoformat()

    def due_at(self, name: str) -> datetime:
        return datetime.fromisoformat(self.state.next_due[name])

    def due(self, now: datetime) -> list[str]:
        return sorted(n for n in self.sources if self.due_at(n) <= now)

    def checked(self, name: str, now: datetime, *, scheduled: bool) -> None:
        """The source was checked at ``now``: its next check is one period later."""
        if scheduled and now - self.due_at(name) > MISSED_AFTER:
            self.missed += 1
        self.state.next_due[name] = self.sources[name].next_after(now).isoformat()

    def next_wakeup(self) -> datetime | None:
        return min((self.due_at(n) for n in self.sources), default=None)

    def changed_files(self, landed: dict[str, str | None]) -> list[str]:
        """File sources whose content changed since last seen (a new stamp alone is not a change, and
        a stamp must hold for two looks: a file being written is not read half-way); a file never
        seen is compared with the content last landed (``landed``, from the ledger)."""
        changed = []
        for name, source in self.sources.items():
            if source.path is None:
                continue
            stamp = file_stamp(source.path)
            seen = self.state.stamps.get(name)
            if stamp is None:
                if seen is not None and seen[2] is not None:
                    self.state.stamps[name] = [0, 0, None]
                    changed.append(name)  # the file went away: its ingest now waits, which status shows
                continue
            if seen is not None and [stamp[0], stamp[1]] == seen[:2]:
                self.settling.pop(name, None)
                continue
            if seen is not None and self.settling.get(name) != stamp:
                self.settling[name] = stamp  # changed since the last look: look again before reading it
                continue
            self.settling.pop(name, None)
            digest = sha256_of(source.path)
            self.state.stamps[name] = [stamp[0], stamp[1], digest]
            before = seen[2] if seen is not None else landed.get(name)
            if before is not None and digest != before:
                changed.append(name)
        return changed


__all__ = ["MISSED_AFTER", "Schedule", "Source", "file_stamp", "sources_of"]
