"""Resource usage of a benchmark's phases: wall, user and system CPU, page faults.

The CPU time of the same code varies between runs on this machine; printing user and system time
and the minor page faults apart shows where (a system-time or page-fault jump is the allocator
giving memory back to the kernel and faulting it in again, not the query doing more work).
``StatementLog`` wraps an engine's statement methods and records the same figures per statement.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Usage:
    wall: float
    user: float
    system: float
    minor_faults: int
    major_faults: int
    #: the machine's CPU ticks (all processes) and those the hypervisor stole from this virtual machine
    ticks: int = 0
    stolen: int = 0

    @classmethod
    def now(cls) -> Usage:
        r = resource.getrusage(resource.RUSAGE_SELF)
        ticks, stolen = _machine_ticks()
        return cls(time.perf_counter(), r.ru_utime, r.ru_stime, r.ru_minflt, r.ru_majflt, ticks, stolen)

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.wall - other.wall,
            self.user - other.user,
            self.system - other.system,
            self.minor_faults - other.minor_faults,
            self.major_faults - other.major_faults,
            self.ticks - other.ticks,
            self.stolen - other.stolen,
        )

    @property
    def cpu(self) -> float:
        return self.user + self.system

    def line(self) -> str:
        return (
            f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU ({self.user:.2f} user + {self.system:.2f} system), "
            f"{self.minor_faults:,} minor page faults; the hypervisor stole {self.steal_share:.0%} of the machine's CPU"
        )

    @property
    def steal_share(self) -> float:
        return self.stolen / self.ticks if self.ticks else 0.0


def _machine_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of the machine since boot, from /proc/stat (0, 0 where there is none):
    on a virtual machine whose host is busy, the same work costs more CPU time (steal, shared caches)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    # user nice system idle iowait irq softirq steal (guest time is already counted in user)
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


@dataclass
class StatementLog:
    """Per-statement usage of the engine methods it wraps (the rest is Python between them)."""

    rows: list[tuple[str, Usage]] = field(default_factory=list)
    recording: bool = True

    def wrap(self, engine: Any) -> None:
        for name in ("execute", "fetch_all", "fetch_arrow", "create_or_replace"):
            setattr(engine, name, self._timed(getattr(engine, name)))

    def _timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(statement: Any, *args: Any, **kwargs: Any) -> Any:
            before = Usage.now()
            try:
                return fn(statement, *args, **kwargs)
            finally:
                if self.recording:
                    sql = getattr(statement, "qualified", None) or str(statement)
                    self.rows.append((" ".join(sql.split())[:70], Usage.now() - before))

        return timed

    def stop(self) -> None:
        """Statements from now on are not the measured part's (reading the outputs back)."""
        self.recording = False

    def print(self, total: Usage, min_cpu: float = 0.05) -> None:
        shown = [(sql, u) for sql, u in self.rows if u.cpu >= min_cpu or u.wall >= min_cpu]
        for sql, u in shown:
            print(f"  {u.cpu:6.2f} s CPU ({u.user:5.2f} u + {u.system:5.2f} s) {u.minor_faults:>9,} flt  {sql}")
        cpu = sum(u.cpu for _, u in self.rows)
        print(f"  statements {cpu:.2f} s CPU; Python between them {total.cpu - cpu:.2f} s CPU")
