"""The catalog a publication snapshot serves (``catalog.json``) and its boundaries (``geo/``).

``snapshot.write_snapshot`` writes these when what the catalog shows changed, and hard-links the
previous snapshot's otherwise (``link_catalog``). Every dataset's entry (title, access, status,
Table Schema, provenance), the indicators, the lineage graph and the DCAT-AP catalog.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from territoria.catalog.model import DatasetEntry, with_role
from territoria.engines.base import Engine, quote_ident
from territoria.pipelines.inspect import LineageIndex, dataset_status, lineage_graph
from territoria.pipelines.plan import Plan, unset_parameters
from territoria.pipelines.readiness import NotPublished, not_published
from territoria.pipelines.spec import IndicatorStep
from territoria.pipelines.summary import DatasetStatus
from territoria.publication.dcat import dcat_catalog
from territoria.publication.dcat_nodes import feed_json, object_json
from territoria.publication.export import column_metadata
from territoria.publication.provenance import provenance
from territoria.workspace import Workspace

#: every table's columns and their DuckDB types, by (schema, table) (``snapshot._all_columns``)
Columns = dict[tuple[str, str], list[tuple[str, str]]]


def copy_parquet(engine: Engine, select: str, dest: Path) -> None:
    engine.copy_to(select, dest, "PARQUET", {"COMPRESSION": "zstd"})


# DuckDB type -> Table Schema type, for datasets that have no declared schema.
_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "DOUBLE": "number",
    "FLOAT": "number",
    "REAL": "number",
}


def _table_schema_type(duck_type: str) -> str:
    upper = duck_type.upper()
    if upper in _TYPES:
        return _TYPES[upper]
    if "INT" in upper:
        return "integer"
    if upper.startswith("DECIMAL"):
        return "number"
    if upper.startswith("GEOMETRY"):
        return "geometry"
    return "any"


def _schema_of(
    cols: list[tuple[str, str]], entry: DatasetEntry | None, titles: dict[str, str]
) -> dict[str, Any] | None:
    """The dataset's Table Schema; ``titles`` are those its French CSV has (``column_metadata``)."""
    if not cols:
        return entry.schema_.model_dump(mode="json", exclude_defaults=True) if entry and entry.schema_ else None
    declared = {f.name: f for f in entry.schema_.fields} if entry and entry.schema_ else {}
    fields = []
    for col, typ in cols:
        field: dict[str, Any] = {"name": col, "type": _table_schema_type(typ)}
        if col in titles:
            field["title"] = titles[col]
        if col in declared and declared[col].description:
            field["description"] = declared[col].description
        fields.append(field)
    out: dict[str, Any] = {"fields": fields}
    if entry and entry.schema_ and entry.schema_.primary_key:
        out["primaryKey"] = entry.schema_.primary_key
    return out


def dataset_entries(
    plan: Plan,
    columns: Columns,
    entries: dict[str, DatasetEntry],
    status_list: list[DatasetStatus],
    unpublished: Mapping[str, NotPublished] | None = None,
) -> list[dict[str, Any]]:
    """``unpublished``: the datasets no data will come to for this territory (a source its
    producer does not publish there): their status says so rather than "waiting for data"."""
    statuses = {s.name: s for s in status_list}
    updated = source_updates(statuses.values())
    out = []
    for key, info in plan.datasets.items():
        if info.layer == "published":
            continue
        status = statuses[key]
        step = plan.steps[plan.producers[key]]
        entry = entries.get(key)
        published = f"published.{key}" in plan.datasets and ("published", key) in columns
        schema_src = ("published", key) if published else (info.schema, key)
        doc: dict[str, Any] = {
            "id": key,
            "title": info.title,
            "description": (entry.summary or entry.description if entry else info.summary)
            or (step.indicator.description if isinstance(step, IndicatorStep) else ""),
            # a source's technical notes (English, for the data team) when it has a public summary
            "notes": entry.description if entry and entry.summary else None,
            "kind": {"staging": "source"}.get(info.layer, info.layer),
            "layer": info.layer,
            "pack": info.pack,
            "access": info.access.value,
            "secrecy": info.secrecy,
            "published": published,
            "rows": status.rows,
            "updated_at": status.updated_at.isoformat() if status.updated_at else None,
            "freshness": status.freshness,
            "last_status": status.last_status,
            "quarantined": status.quarantined,
            "step": step.id,
            "inputs": list(step.inputs),
            "schema": _schema_of(columns.get(schema_src, []), entry, column_metadata(plan, key)[0]),
        }
        if entry:
            doc.update(
                entry.model_dump(
                    mode="json",
                    include={"publisher", "licence", "licence_url", "frequency", "keywords", "themes", "synthetic"},
                )
            )
            doc.update(
                {
                    "temporal": entry.temporal.model_dump(mode="json"),
                    "spatial": entry.spatial,
                    "landing_page": entry.landing_page,
                }
            )
        doc.update(provenance(plan, key, updated))  # synthetic if any source is; producers, vintages
        if key in (unpublished or {}):
            doc["not_published"] = (unpublished or {})[key].as_dict()
        if step.id in plan.waiting:  # the territory's own choices this figure waits for ("à renseigner")
            doc["to_fill"] = [f"{step.pack}.{name}" for name in unset_parameters(step)]
        if published:
            doc["geometry"] = any(t.upper().startswith("GEOMETRY") for _, t in columns[("published", key)])
        out.append(doc)
    return out


def source_updates(statuses: Iterable[DatasetStatus]) -> dict[str, str | None]:
    """dataset -> when its data last changed (ISO), for the provenance of every figure."""
    return {s.name: s.updated_at.isoformat() if s.updated_at else None for s in statuses}


def _indicators(plan: Plan, updated: dict[str, str | None]) -> list[dict[str, Any]]:
    out = []
    for step in plan.steps.values():
        if not isinstance(step, IndicatorStep):
            continue
        doc = step.indicator.model_dump(mode="json", exclude={"sql", "tests"})
        doc["pack"] = step.pack
        doc["inputs"] = list(step.inputs)
        doc.update(provenance(plan, step.indicator.id, updated))
        out.append(doc)
    return out


def _write_boundaries(target: Path, engine: Engine, entries: dict[str, DatasetEntry], columns: Columns) -> str | None:
    """``geo/communes.parquet`` (code, nom, geometry) from the datasets with ``role: boundaries`` and
    ``role: referential``, and ``geo/names.parquet`` (code, nom); returns the boundaries' id."""
    boundaries, referential = with_role(entries, "boundaries"), with_role(entries, "referential")
    names = referential if referential and ("staging", referential.identifier) in columns else None
    if names:
        (target / "geo").mkdir()
        copy_parquet(
            engine,
            f"SELECT code, nom FROM staging.{quote_ident(names.identifier)} ORDER BY code",
            target / "geo" / "names.parquet",
        )
    if boundaries is None or ("staging", boundaries.identifier) not in columns:
        return None
    (target / "geo").mkdir(exist_ok=True)
    b = f"staging.{quote_ident(boundaries.identifier)}"
    if names:
        select = (
            f"SELECT b.code, c.nom, b.geometry FROM {b} b JOIN staging.{quote_ident(names.identifier)} c USING (code)"
        )
    else:  # no referential: the boundaries' own names, if they have some
        has_nom = "nom" in [c for c, _ in columns[("staging", boundaries.identifier)]]
        select = f"SELECT b.code, {'b.nom' if has_nom else 'CAST(NULL AS VARCHAR) AS nom'}, b.geometry FROM {b} b"
    copy_parquet(engine, select + " ORDER BY b.code", target / "geo" / "communes.parquet")
    return boundaries.identifier


def write_catalog(
    ws: Workspace, engine: Engine, plan: Plan, work: Path, columns: Columns, statuses: list[DatasetStatus] | None
) -> tuple[str | None, bool]:
    """Write ``catalog.json`` and ``geo/``; returns the boundaries' dataset id and whether names were written."""
    entries = ws.entries()
    boundaries = _write_boundaries(work, engine, entries, columns)
    statuses = dataset_status(ws, engine, plan) if statuses is None else statuses
    datasets = dataset_entries(plan, columns, entries, statuses, not_published(ws, plan))
    catalog = {
        "datasets": datasets,
        "indicators": _indicators(plan, {d["id"]: d["updated_at"] for d in datasets}),
        # flat: trees are drawn from it per request (``pipelines.inspect.lineage_tree``)
        "lineage_graph": lineage_graph(plan, LineageIndex.load(engine)),
        "dcat": dcat_catalog(ws, plan, datasets=datasets),
    }
    # the text of ``catalog_json(catalog)``, the feed's nodes from their kept text (``dcat_nodes``)
    text = object_json(catalog, {"dcat": feed_json})
    (work / "catalog.json").write_text(text, encoding="utf-8")
    return boundaries, (work / "geo" / "names.parquet").is_file()


def link_catalog(previous: Path, work: Path) -> None:
    """Hard-link ``catalog.json`` and ``geo/`` of the previous snapshot (they show the same state)."""
    os.link(previous / "catalog.json", work / "catalog.json")
    if (previous / "geo").is_dir():
        (work / "geo").mkdir()
        for part in (previous / "geo").iterdir():
            os.link(part, work / "geo" / part.name)
