"""Logs of ``territoria up``: one line per event, as text or (``--log-json``) as JSON objects.

A JSON line carries ``time``, ``level``, ``logger``, ``message`` and the event's own fields
(``extra={"event": ..., ...}`` at the call site), so a log shipper indexes ``event``, ``run_id``
or ``dataset`` without parsing sentences.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

#: attributes every ``LogRecord`` has: what is not one of them came from ``extra``
STANDARD = set(vars(logging.LogRecord("x", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("territoria")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


__all__ = ["JsonFormatter", "configure"]
