"""Export what is published, and only that, in any registered format (``publication/formats.py``).

An export of restricted or personal data says why (``purpose``) and is written to the
workspace's audit log (``governance/audit.py``), the one ``territoria audit`` and the API share.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from territoria.catalog.model import DatasetEntry, with_role
from territoria.core.errors import NotFoundError, UserError
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.engines.base import Engine, quote_ident
from territoria.governance.access import Principal, Role
from territoria.governance.audit import AuditLog
from territoria.indicators.columns import column_titles
from territoria.pipelines.plan import Plan
from territoria.pipelines.spec import IndicatorStep, IngestStep
from territoria.publication.formats import ExportJob, get_format
from territoria.publication.local_export import on_duckdb
from territoria.publication.provenance import SYNTHETIC_LABEL, export_metadata, provenance


def plan_entries(plan: Plan) -> dict[str, DatasetEntry]:
    """The catalog entries behind the plan's source datasets."""
    return {s.entry.identifier: s.entry for s in plan.steps.values() if isinstance(s, IngestStep)}


def boundaries_relation(plan: Plan, engine: Engine) -> str | None:
    """The staging table of the dataset with ``role: boundaries``, if it is built."""
    entry = with_role(plan_entries(plan), "boundaries")
    if entry is None or not engine.table_exists("staging", entry.identifier):
        return None
    return f"staging.{quote_ident(entry.identifier)}"


ColumnMetadata = tuple[dict[str, str], dict[str, int]]


def _column_metadata(fields: Iterable[tuple[str, str | None]], value_decimals: int | None) -> ColumnMetadata:
    """Titles (of the Table Schema's fields) and declared decimals (an indicator's ``value``)."""
    return {name: title for name, title in fields if title}, (
        {} if value_decimals is None else {"value": value_decimals}
    )


def column_metadata(plan: Plan, dataset: str) -> ColumnMetadata:
    """Titles and declared decimals (an indicator's ``value``) of the columns of a dataset, from
    the workspace's plan: a source's from its Table Schema, an indicator's or a model's from the
    shared vocabulary (``indicators/columns.py``). The snapshot's catalog carries the same titles."""
    producer = plan.producers.get(dataset)
    step = plan.steps.get(producer) if producer else None
    if isinstance(step, IngestStep):
        fields = step.entry.schema_.fields if step.entry.schema_ is not None else []
        return _column_metadata(((f.name, f.title) for f in fields), None)
    if isinstance(step, IndicatorStep):
        return _column_metadata(column_titles(step.indicator).items(), step.indicator.decimals)
    if step is not None:  # a model: the same titles for all (a copy: the caller's own)
        return dict(_model_titles()), {}
    return {}, {}


@lru_cache(maxsize=1)
def _model_titles() -> dict[str, str]:
    """A model's column titles (``column_titles()``): the snapshot's catalog asks for every
    model, every run, and the shared vocabulary is filtered once rather than for each."""
    return _column_metadata(column_titles().items(), None)[0]


def snapshot_column_metadata(doc: dict[str, Any], indicator: dict[str, Any] | None) -> ColumnMetadata:
    """The same as ``column_metadata``, from a publication's catalog (what the API reads): the
    dataset's catalog document and, for an indicator, its definition."""
    fields = (doc.get("schema") or {}).get("fields") or []
    decimals = indicator.get("decimals") if indicator else None
    return _column_metadata(
        ((f["name"], f.get("title")) for f in fields), int(decimals) if decimals is not None else None
    )


def published_relation(plan: Plan, engine: Engine, dataset: str) -> tuple[str, AccessLevel]:
    key = f"published.{dataset}"
    if key not in plan.datasets:
        known = [k.removeprefix("published.") for k in plan.datasets if k.startswith("published.")]
        if dataset in plan.datasets:
            raise UserError(
                f"dataset {dataset!r} is not published",
                hint="set `publish: true` in its catalog entry (sources) or pack, then `territoria run`",
            )
        raise NotFoundError(
            f"unknown dataset {dataset!r}",
            hint=did_you_mean(dataset, known) or f"published datasets: {', '.join(known)}",
        )
    info = plan.datasets[key]
    if not engine.table_exists("published", info.name):
        raise UserError(f"dataset {dataset!r} has not been built yet", hint="run `territoria run` first")
    return info.qualified, info.access


def export_dataset(
    plan: Plan,
    engine: Engine,
    dataset: str,
    fmt: str,
    dest: Path,
    *,
    audit: AuditLog,
    purpose: str | None = None,
    who: str = "cli",
    iri: str = "",
) -> int:
    """Write ``dataset`` to ``dest`` in format ``fmt``; returns its row count."""
    export_format = get_format(fmt)
    relation, access = published_relation(plan, engine, dataset)
    if not dest.parent.is_dir():
        raise UserError(
            f"cannot write {dest}: folder {dest.parent} does not exist",
            hint=f"create it first (mkdir -p {dest.parent}) or write somewhere else",
        )
    titles, decimals = column_metadata(plan, dataset)
    columns = engine.columns("published", dataset)
    prov = provenance(plan, f"published.{dataset}")
    job = ExportJob(
        engine,
        relation,
        columns,
        dest,
        dataset,
        boundaries_relation(plan, engine),
        iri,
        titles,
        decimals,
        export_metadata(prov),
    )
    audited = access is not AccessLevel.open
    if audited and (not purpose or not purpose.strip()):  # a blank purpose is no purpose
        raise UserError(
            f"dataset {dataset!r} is {access.value}: its export is audited",
            hint='say why with --purpose "..." (it is written to the audit log)',
        )
    with on_duckdb(job) as written:  # no row is fetched from another engine before that
        export_format.check(written)  # before anything is audited
        if audited:
            audit.record(Principal(who, Role.admin), f"export-{fmt}", dataset, access, purpose)
        export_format.write(written)
    if export_format.extension == "csv":
        write_csvw_sidecar(dest, dataset, prov)
    return int(engine.fetch_all(f"SELECT count(*) FROM {relation}")[0][0])


def write_csvw_sidecar(dest: Path, dataset: str, prov: dict[str, Any]) -> Path:
    """``<file>-metadata.json`` beside a CSV (the CSV on the Web convention): whether the data is
    synthetic, and the producer, vintage, licence and last update of each source."""
    sidecar = dest.with_name(dest.name + "-metadata.json")
    doc = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": dest.name,
        "dc:identifier": dataset,
        "territoria:synthetic": prov["synthetic"],
        **({"dc:description": SYNTHETIC_LABEL} if prov["synthetic"] else {}),
        "dc:source": prov["sources"],
    }
    sidecar.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return sidecar


__all__ = [
    "boundaries_relation",
    "column_metadata",
    "export_dataset",
    "plan_entries",
    "published_relation",
    "snapshot_column_metadata",
    "write_csvw_sidecar",
]
