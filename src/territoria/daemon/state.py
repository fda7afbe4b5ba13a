"""What the supervisor remembers across restarts: ``.territoria/daemon/state.json``.

Next-due times per source (a restart resumes the schedule instead of checking everything
again), the last seen stamp of each watched file, pending retries and the alerts in force (a
restart neither re-sends an alert already sent nor forgets to send its recovery). Written
atomically (a temporary file renamed over the old one): a kill leaves the old or the new state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from territoria.core.jsonfile import drop_stale_temps, write_json

STATE = Path("daemon") / "state.json"


@dataclass
class DaemonState:
    #: dataset -> ISO time its next scheduled check is due
    next_due: dict[str, str] = field(default_factory=dict)
    #: dataset -> [size, mtime_ns, sha256] of its source file when last seen
    stamps: dict[str, list[Any]] = field(default_factory=dict)
    #: dataset -> [attempts so far, ISO time of the next try] for runs that failed transiently
    retries: dict[str, list[Any]] = field(default_factory=dict)
    #: alert key -> what was notified (see ``alerts.AlertBook``)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, private: Path) -> DaemonState:
        path = private / STATE
        drop_stale_temps(private)  # a save the daemon was killed in the middle of
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except ValueError:
            # a state file we cannot read costs one check of every source, nothing more
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and isinstance(v, dict)}
        return cls(**known)

    def save(self, private: Path) -> None:
        path = private / STATE
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_json(path, asdict(self), sort_keys=True)


__all__ = ["STATE", "DaemonState"]
