"""Cheap readings of the current process: RAPL energy counters, I/O counters, peak memory.

Each reading is a few small file reads from ``/proc`` or ``/sys`` (microseconds), so the meter
can run around every step. Every reader degrades to "unavailable" instead of failing.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

POWERCAP = Path("/sys/class/powercap")


@dataclass(frozen=True)
class RaplZone:
    name: str
    energy_file: Path
    max_range_uj: int


class RaplReader:
    """Sum of the top-level ``intel-rapl:N`` (package) zones plus their ``dram`` sub-zones.

    Core and uncore sub-zones are already inside their package and are not added twice.
    """

    def __init__(self, root: Path = POWERCAP) -> None:
        self.zones: list[RaplZone] = []
        if not root.is_dir():
            return
        for zone in sorted(root.glob("intel-rapl:*")):
            parts = zone.name.split(":")
            name = _read_text(zone / "name") or zone.name
            if len(parts) == 2 or (len(parts) == 3 and name == "dram"):
                energy = zone / "energy_uj"
                if _read_int(energy) is None:
                    continue
                self.zones.append(RaplZone(name, energy, _read_int(zone / "max_energy_range_uj") or 0))

    @property
    def available(self) -> bool:
        return bool(self.zones)

    def read(self) -> list[int] | None:
        values = [_read_int(z.energy_file) for z in self.zones]
        if not values or any(v is None for v in values):
            return None
        return [int(v) for v in values if v is not None]

    def joules_between(self, before: list[int] | None, after: list[int] | None) -> float | None:
        """Energy between two readings; a counter that wrapped around adds its range once."""
        if before is None or after is None or len(before) != len(after):
            return None
        total = 0
        for zone, b, a in zip(self.zones, before, after, strict=True):
            delta = a - b
            if delta < 0:
                delta += zone.max_range_uj
            total += max(delta, 0)
        return total / 1e6


@dataclass(frozen=True)
class IoCounters:
    #: bytes passed to read()/write() (files, pipes and sockets), and bytes that hit the block layer
    rchar: int = 0
    wchar: int = 0
    read_bytes: int = 0
    write_bytes: int = 0


_FDS: dict[str, int] = {}
# ``/proc/self`` was resolved when a descriptor was opened: a forked child opens its own
os.register_at_fork(after_in_child=_FDS.clear)


def _fd(path: str, flags: int) -> int:
    """One descriptor per process and file, kept open: these run around every step, and open/close
    costs more than the read or write."""
    fd = _FDS.get(path)
    if fd is None:
        fd = _FDS[path] = os.open(path, flags)
    return fd


def _read_proc(path: str) -> bytes | None:
    try:
        return os.pread(_fd(path, os.O_RDONLY), 8192, 0)
    except OSError:
        return None


#: the layout of ``/proc/self/io`` on every Linux since 2.6.20: the counters read, in this order
_IO_NAMES = (b"rchar:", b"wchar:", b"syscr:", b"syscw:", b"read_bytes:", b"write_bytes:")


def read_io(path: str = "/proc/self/io") -> IoCounters | None:
    data = _read_proc(path)
    if data is None:
        return None
    # "rchar: 123\nwchar: 456\n...": words alternate name and value. Read by position when the
    # names are where they always are (this runs at every step boundary; ints parse from bytes).
    words = data.split()
    if tuple(words[0:12:2]) == _IO_NAMES:
        return IoCounters(int(words[1]), int(words[3]), int(words[9]), int(words[11]))
    fields = dict(zip(words[::2], words[1::2], strict=False))
    return IoCounters(
        int(fields.get(b"rchar:", 0)),
        int(fields.get(b"wchar:", 0)),
        int(fields.get(b"read_bytes:", 0)),
        int(fields.get(b"write_bytes:", 0)),
    )


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of resident memory, so the next peak is the step's own."""
    try:
        os.write(_fd("/proc/self/clear_refs", os.O_WRONLY), b"5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """Peak resident memory since the last reset (VmHWM), or since the process started."""
    data = _read_proc("/proc/self/status")
    at = data.find(b"VmHWM:") if data else -1
    if data and at >= 0:
        try:
            return int(data[at + 6 : data.index(b"kB", at)]) * 1024
        except ValueError:
            pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _read_int(path: Path) -> int | None:
    text = _read_text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
