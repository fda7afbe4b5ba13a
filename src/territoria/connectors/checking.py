"""Tell whether a workspace's sources changed, without downloading unchanged content."""

from __future__ import annotations

from typing import Any

from territoria.catalog.model import DatasetEntry
from territoria.connectors.spec import CheckResult, FetchContext, get_connector, parse_options
from territoria.workspace import Workspace


def check_source(ws: Workspace, entry: DatasetEntry, previous: dict[str, Any] | None) -> CheckResult:
    connector = get_connector(entry.source.kind)
    options = parse_options(connector, entry.identifier, entry.source.options)
    check = getattr(connector, "check", None)
    if check is None:
        if not previous:
            return CheckResult(True, "never fetched")
        return CheckResult(None, f"the {entry.source.kind} connector cannot tell before the next run")
    ctx = FetchContext(entry.identifier, ws.root, ws.landing, ws.config, previous, ws.tmp_dir, entry.schema_)
    result: CheckResult = check(options, ctx)
    return result
