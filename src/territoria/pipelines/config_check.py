"""`territoria config validate`: every problem of a workspace's configuration, as a report.

Each problem has a stable slug, a message, where it is and how to fix it; the check does not
stop at the first one, and it touches no data (nothing is fetched, the store is not opened).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from territoria.catalog.model import DatasetEntry
from territoria.connectors.spec import get_connector, parse_options
from territoria.core.errors import TerritoriaError
from territoria.core.yamlio import load_model
from territoria.pipelines.plan import build_plan
from territoria.reference.referential import referential
from territoria.workspace import Workspace


@dataclass(frozen=True)
class Problem:
    slug: str
    message: str
    where: str
    hint: str | None = None


def _problem(exc: TerritoriaError, where: str) -> Problem:
    return Problem(exc.slug, exc.message, where, exc.hint)


def check_workspace(root: Path) -> list[Problem]:
    try:
        ws = Workspace(root)
    except TerritoriaError as exc:
        return [_problem(exc, "territory.yaml")]
    problems: list[Problem] = []
    ref = referential()
    for code in ws.config.communes:
        if code not in ref.communes:
            problems.append(
                Problem("unknown-commune", f"commune {code} is not in the referential", "territory.yaml", None)
            )
    entries: dict[str, DatasetEntry] = {}
    for path in sorted(ws.sources_dir.glob("*.yaml")):
        where = f"sources/{path.name}"
        try:
            entry = load_model(path, DatasetEntry)
        except TerritoriaError as exc:
            problems.append(_problem(exc, where))
            continue
        if path.stem != entry.identifier:
            problems.append(
                Problem(
                    "file-name-mismatch",
                    f"{where} declares identifier {entry.identifier!r}",
                    where,
                    f"rename the file to {entry.identifier}.yaml",
                )
            )
        entries[entry.identifier] = entry
        try:
            parse_options(get_connector(entry.source.kind), entry.identifier, entry.source.options)
        except TerritoriaError as exc:
            problems.append(_problem(exc, where))
    try:
        ws.policies()
    except TerritoriaError as exc:
        problems.append(_problem(exc, "policies.yaml"))
    if not problems:
        try:
            build_plan(ws)
        except TerritoriaError as exc:
            problems.append(_problem(exc, "packs and models"))
    return problems
