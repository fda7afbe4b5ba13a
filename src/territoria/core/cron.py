"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

The schedule overrides of ``policies.yaml`` (``operations.schedules``) are written this way, as
an operator writes a crontab line: ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps
``*/n`` or ``a-b/n``; day of week 0-7 (0 and 7 are Sunday); the shorthands ``@hourly``,
``@daily``, ``@weekly``, ``@monthly`` and ``@yearly``. As in cron, when both day fields are
restricted a day matching either one fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
#: no five-field expression is silent for longer than this (29 February on a given weekday: 28 years)
HORIZON = timedelta(days=366 * 29)


class CronError(ValueError):
    """The expression is not a cron expression; the message says which field and why."""


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, stop = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                start, stop = int(a), int(b)
            else:
                start = stop = int(base)
                if step_text:
                    stop = high
        except ValueError:
            raise CronError(f"{name} field {text!r}: {part!r} is not a number, a range a-b, * or a step /n") from None
        if step < 1:
            raise CronError(f"{name} field {text!r}: the step must be at least 1")
        if not (low <= start <= stop <= high):
            raise CronError(f"{name} field {text!r}: values must be within {low}-{high}, ranges ascending")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        text = SHORTHANDS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise CronError(
                f"{expression!r} has {len(parts)} fields, a cron expression has 5 (minute hour day month weekday)"
            )
        sets = [_field(p, name, low, high) for p, (name, low, high) in zip(parts, FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(expression, sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")

    def _day_matches(self, t: datetime) -> bool:
        in_month = t.day in self.days
        in_week = (t.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, after: datetime) -> datetime:
        """The first firing time strictly after ``after`` (to the minute)."""
        t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = after + HORIZON
        while t <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise CronError(f"{self.expression!r} never fires (a day that does not exist in any month?)")

    def period(self, around: datetime) -> timedelta:
        """The gap between two firings after ``around``: how often a source so scheduled is refreshed."""
        first = self.next_after(around)
        return self.next_after(first) - first


__all__ = ["Cron", "CronError"]
