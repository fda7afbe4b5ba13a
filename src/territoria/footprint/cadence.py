"""Refresh cadence: a source is not checked again before its declared frequency has elapsed.

A source published yearly is not polled on every run: its ingest step is skipped by cadence
(and the cost of the check it avoided is recorded) until its period has passed since the last
check, or the run says ``--check-all`` / ``--force``. Sources whose check costs nothing (local
files, the shipped referential) are exempt by default.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from territoria.catalog.model import FREQUENCIES, DatasetEntry
from territoria.footprint.params import Cadence

#: "continuous" sources are still checked at most once per minute
MIN_PERIOD = timedelta(minutes=1)


def period(frequency: str) -> timedelta:
    return max(timedelta(days=FREQUENCIES.get(frequency, FREQUENCIES["irregular"])), MIN_PERIOD)


def not_due(cadence: Cadence, entry: DatasetEntry, checked_at: datetime | None, now: datetime) -> str | None:
    """Why the source need not be checked now, or ``None`` when it must be."""
    if not cadence.respect_frequency or checked_at is None or entry.source.kind in cadence.exempt_kinds:
        return None
    due = checked_at + period(entry.frequency)
    if now >= due:
        return None
    return f"not due (declared {entry.frequency}, checked {checked_at:%Y-%m-%d %H:%M}, next check {due:%Y-%m-%d %H:%M})"
