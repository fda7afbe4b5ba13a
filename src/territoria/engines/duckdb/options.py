"""``engine_options`` of the DuckDB engine in ``territory.yaml``, checked before the store opens.

A name DuckDB's engine does not take, or a size DuckDB would misread, is a ConfigError naming
the option and what to write, not a ``TypeError`` or a parser error from inside DuckDB. DuckDB
reads ``-1GB`` as no cap at all (16383.9 PiB) and a number without a unit as an error: a size
here is a non-negative number and a unit.
"""

from __future__ import annotations

import re
from typing import Any

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean

#: what ``DuckDBEngine.open`` takes (``read_only`` is the commands' own, not the workspace's)
KNOWN = (
    "threads",
    "memory_limit",
    "allocator_flush_threshold",
    "temp_directory",
    "max_temp_directory_size",
    "read_only",
)
#: a size as DuckDB reads it: KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB, or bytes
SIZE = re.compile(r"[0-9]+(\.[0-9]+)? ?(bytes|b|[kmgt]b|[kmgt]ib)", re.IGNORECASE)


def size(name: str, value: Any) -> str:
    """``engine_options.<name>`` as a size DuckDB reads as the user meant it."""
    if isinstance(value, str) and SIZE.fullmatch(value.strip()):
        return value.strip()
    raise ConfigError(
        f"engine_options.{name} {value!r} is not a size",
        hint=f"write a number and a unit, e.g. `{name}: 10GB` (KB, MB, GB, TB, or KiB, MiB, GiB, TiB)",
    )


def checked(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with every name known and the spill cap a size."""
    for name in sorted(set(options) - set(KNOWN)):
        raise ConfigError(
            f"engine_options for duckdb: {name!r} is not an option",
            hint=did_you_mean(name, KNOWN[:-1]) or f"the options are {', '.join(KNOWN[:-1])}",
        )
    out = dict(options)
    if out.get("max_temp_directory_size") is not None:
        out["max_temp_directory_size"] = size("max_temp_directory_size", out["max_temp_directory_size"])
    return out


__all__ = ["KNOWN", "checked", "size"]
