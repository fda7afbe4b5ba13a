"""Which inputs a workspace has, and what to do about those it lacks (``territoria sources status``).

Per pack and source: ``present`` (its last ingest succeeded and it is not overdue), ``missing``
(a file not dropped in yet, or a source whose last ingest waited for data), ``stale`` (not checked
for longer than its declared frequency), ``failing`` (its last ingest failed), or ``not run``.
What to do names the file to drop where and, from the catalog entry's ``source.upstream``, the
real portal and dataset to take it from. The parameters a territory must set itself come last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from territoria.catalog.model import FREQUENCIES, DatasetEntry
from territoria.core.wording import noun
from territoria.engines.base import Engine
from territoria.ledger import META, now, source_checks
from territoria.pipelines.plan import Plan
from territoria.reference.referential import departement_name, referential
from territoria.sensors.registry import REGISTRY
from territoria.workspace import Workspace


@dataclass(frozen=True)
class SourceStatus:
    pack: str | None
    dataset: str
    kind: str
    state: str
    todo: str

    def as_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "dataset": self.dataset, "kind": self.kind, "state": self.state, "todo": self.todo}


def _last_ingests(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """dataset -> (status, error) of its latest ingest record."""
    rows = engine.fetch_all(
        f"SELECT step, arg_max(status, started_at), arg_max(error, started_at) FROM {META}.step_runs "
        "WHERE step LIKE 'ingest:%' GROUP BY step"
    )
    return {r[0].removeprefix("ingest:"): (r[1], r[2]) for r in rows}


def where_to_get(entry: DatasetEntry) -> str:
    """The real origin of a source, from its catalog entry."""
    up = entry.source.upstream or {}
    if up.get("portal") and up.get("dataset_id"):
        where = f" with where {up['where']}" if up.get("where") else ""
        return f"export dataset {up['dataset_id']} from {up['portal']}{where}"
    if up.get("url"):
        return f"download {up['url']}" + (f" ({up['note']})" if up.get("note") else "")
    page = entry.landing_page or entry.publisher.uri
    return f"see {page} ({entry.publisher.name})" if page else f"ask {entry.publisher.name}"


def _departements(ws: Workspace) -> set[str]:
    ref = referential()
    return {dep for code in ws.config.communes if code in ref.communes and (dep := ref.communes[code].departement)}


def uncovered(ws: Workspace, entry: DatasetEntry) -> tuple[list[str], bool]:
    """The territory's départements the producer publishes nothing for (``upstream.not_published_for``),
    and whether that is all of them: no file exists to drop, the pack's figures stay empty."""
    declared = {str(d) for d in (entry.source.upstream or {}).get("not_published_for", [])}
    if not declared:
        return [], False
    deps = _departements(ws)
    gaps = sorted(deps & declared)
    return gaps, bool(gaps) and len(gaps) == len(deps)


@dataclass(frozen=True)
class NotPublished:
    """A source its producer publishes nothing for anywhere in the territory, and that the
    territory has not supplied a file of its own for: what is made from it stays empty."""

    source: str
    publisher: str
    #: what the producer calls it (``upstream.product``, else the entry's title)
    product: str
    #: the territory's départements, by name
    where: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self.publisher} does not publish {self.product} for {' and '.join(self.where)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "publisher": self.publisher,
            "product": self.product,
            "where": list(self.where),
            "message": self.message,
        }


def not_published(ws: Workspace, plan: Plan) -> dict[str, NotPublished]:
    """dataset -> the source it is made from that its producer publishes nothing for in the
    territory (INSEE's Filosofi and Mayotte): the figures "waiting for data" that no data will come
    to. A step runs only once every input has data, so one such input is enough."""
    entries = ws.entries()
    found: dict[str, NotPublished] = {}
    for name, entry in entries.items():
        path = str(entry.source.options.get("path", ""))
        if entry.source.kind != "file" or (ws.root / path).is_file():
            continue
        gaps, none_exists = uncovered(ws, entry)
        if none_exists:
            product = str((entry.source.upstream or {}).get("product") or entry.title)
            where = tuple(departement_name(d) for d in gaps)
            found[name] = NotPublished(name, entry.publisher.name, product, where)
    if not found:
        return {}
    for step_id in plan.order:
        step = plan.steps[step_id]
        cause = next((found[i] for i in step.inputs if i in found), None)
        if cause is not None:
            for out in step.outputs:
                found.setdefault(out, cause)
    return found


def indicators_not_published(plan: Plan, found: dict[str, NotPublished]) -> dict[NotPublished, list[str]]:
    """The indicators of ``not_published``, by the source that leaves them empty."""
    grouped: dict[NotPublished, list[str]] = {}
    for step in plan.steps.values():
        if step.kind == "indicator":
            for out in step.outputs:
                if out in found:
                    grouped.setdefault(found[out], []).append(out)
    return grouped


def _named_departements(codes: list[str]) -> str:
    """``département 976``, ``départements 971, 973``."""
    return f"{noun(len(codes), 'département')} {', '.join(codes)}"


def _no_such_data(entry: DatasetEntry, gaps: list[str]) -> str:
    """What a source's producer does not publish for the territory's ``gaps``, by name and code:
    said alike whether the file is absent or a national one is present."""
    names = " and ".join(departement_name(d) for d in gaps)
    return f"{entry.publisher.name} publishes no such data for {names} ({_named_departements(gaps)})"


def _missing_todo(ws: Workspace, entry: DatasetEntry) -> str | None:
    """What to provide when the source's input is absent, or ``None`` when it is there."""
    options = entry.source.options
    if entry.source.kind == "file":
        path = str(options.get("path", ""))
        if (ws.root / path).is_file():
            return None
        gaps, none_exists = uncovered(ws, entry)
        if none_exists:
            return (
                f"none to get: {_no_such_data(entry, gaps)}; the figures built on it stay empty for this "
                f"territory (or drop a file of your own at {path}, with the same columns)"
            )
        gap = f" (it holds nothing for {_named_departements(gaps)})" if gaps else ""
        return f"drop the file at {path}: {where_to_get(entry)}{gap}"
    if entry.source.kind == "sensors" and not (ws.root / REGISTRY).is_file():
        return f"declare the sensors in {REGISTRY} and feed uplinks (`territoria sensors --help`)"
    return None


def _holds_nothing(ws: Workspace, entry: DatasetEntry) -> str:
    """For a present file (a national one shipped with its pack): the territory's départements its
    producer publishes nothing for, which the figures built on it cannot cover."""
    gaps, none_exists = uncovered(ws, entry)
    if not gaps:
        return ""
    if none_exists:
        return f"nothing to get: {_no_such_data(entry, gaps)}; the figures built on it stay empty for this territory"
    return f"it holds nothing for {_named_departements(gaps)}: {entry.publisher.name} publishes no such data there"


def _stale(entry: DatasetEntry, checked_at: datetime | None) -> bool:
    days = FREQUENCIES.get(entry.frequency)
    if not days or checked_at is None:
        return False
    return now() - checked_at > timedelta(days=days)


def sources_status(ws: Workspace, engine: Engine) -> list[SourceStatus]:
    last = _last_ingests(engine)
    checks = source_checks(engine)
    result: list[SourceStatus] = []
    for name, entry in sorted(ws.entries().items(), key=lambda kv: (kv[1].pack or "", kv[0])):
        status, error = last.get(name, (None, None))
        missing = _missing_todo(ws, entry)
        if missing is not None:
            state, todo = "missing", missing
        elif status == "waiting":
            state, todo = "missing", (error or "").replace("\n  hint: ", " — ")
        elif status in ("failed", "blocked"):
            state, todo = "failing", (error or "").replace("\n  hint: ", " — ")
        elif status is None:
            state, todo = "not run", "run `territoria run`"
        elif _stale(entry, checks.get(name, (None, None))[0]):
            state, todo = "stale", f"not checked for longer than its frequency ({entry.frequency}): run it again"
        else:
            state, todo = "present", _holds_nothing(ws, entry)
        result.append(SourceStatus(entry.pack, name, entry.source.kind, state, todo))
    return result


__all__ = [
    "NotPublished",
    "SourceStatus",
    "indicators_not_published",
    "not_published",
    "sources_status",
    "uncovered",
    "where_to_get",
]
