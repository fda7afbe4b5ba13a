"""The landing door of personal data: what a reader read is pseudonymised before anything checks,
stages or models it.

A source's schema declares its personal fields (``personal:`` on a field, ``catalog/model.py``):

- ``pseudonymise``: the value is replaced by its keyed HMAC-SHA256 under the workspace's current
  key (``keys.py``), written ``<key id>:<hex>``; the same person gets the same pseudonym in every
  dataset and every run until the key is rotated, so models can still join on it;
- ``drop``: the column is removed (names, addresses): it never reaches staging;
- ``indirect``: kept as is (an age, a commune), but the dataset is personal data all the same.

Fields whose retention ``territoria retention apply`` expired are blanked (``versions.py``).
A column the schema does not declare is dropped too (it would otherwise reach the quarantine's
copy of a failing row's raw values).

Then, for the processing declared under ``personal.datasets`` in ``policies.yaml``: the rows of
people whose consent is withdrawn are removed (matched under every key held), and when the
dataset is supplied under conventions none of which is running, its staging is emptied (and so
everything derived from it at the same run). The raw rows never leave this module: lines the
reader could not split keep their line number and reason, not their text.

``definition`` is part of the ingest step's definition (``pipelines/plan.py``): a key rotation,
a consent withdrawal or a convention's end reruns the ingest even when the file did not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.catalog.model import DatasetEntry, TableSchema
from territoria.connectors.formats.base import RawRelation, Rejected
from territoria.connectors.formats.geo import describe
from territoria.core.errors import ConfigError
from territoria.engines.base import Engine, quote_literal
from territoria.governance.personal.consent import ConsentLedger
from territoria.governance.personal.keys import Key, Keyring
from territoria.governance.personal.reident import ReidentificationTable
from territoria.governance.personal.versions import Versions
from territoria.workspace.policies import Policies, Processing

if TYPE_CHECKING:  # Arrow loads when a personal dataset is landed, not when a run is planned
    import pyarrow as pa


def personal_fields(entry: DatasetEntry) -> dict[str, str]:
    """Field name -> ``pseudonymise``, ``drop`` or ``indirect``, for the fields that declare one."""
    if entry.schema_ is None:
        return {}
    return {f.name: f.personal for f in entry.schema_.fields if f.personal}


def is_personal(entry: DatasetEntry) -> bool:
    return bool(personal_fields(entry))


def subject_field(entry: DatasetEntry, processing: Processing | None) -> str | None:
    """The pseudonymised field that says who a row is about (consent is keyed on it)."""
    pseudonymised = [n for n, kind in personal_fields(entry).items() if kind == "pseudonymise"]
    if processing is not None and processing.subject:
        if processing.subject not in pseudonymised:
            raise ConfigError(
                f"personal.datasets.{entry.identifier}.subject: {processing.subject!r} is not a pseudonymised field",
                hint=f"declare `personal: pseudonymise` on it in sources/{entry.identifier}.yaml",
            )
        return processing.subject
    return pseudonymised[0] if len(pseudonymised) == 1 else None


def suspension(policies: Policies, dataset: str, today: date) -> str | None:
    """Why the dataset's data may not be held today (its supply conventions all ended), or ``None``."""
    supplies = [c for c in policies.conventions if c.kind == "supply" and dataset in c.datasets]
    if not supplies or any(c.active(today) for c in supplies):
        return None
    ends = ", ".join(f"{c.partner} ({c.start or '…'} → {c.until or '…'})" for c in supplies)
    return f"no supply convention runs on {today.isoformat()}: {ends}"


def definition(private: Path, entry: DatasetEntry, policies: Policies, today: date | None = None) -> dict[str, Any]:
    """What, besides the file, decides the dataset's staging rows (empty for non-personal data)."""
    if not is_personal(entry):
        return {}
    day = today or datetime.now(UTC).date()
    state: dict[str, Any] = {"key": Keyring(private).current_id(), "held": suspension(policies, entry.identifier, day)}
    if entry.identifier in policies.retention.datasets:
        state["expired_fields"] = Versions(private).expired(entry.identifier)
    processing = policies.personal.datasets.get(entry.identifier)
    if processing is not None and processing.consent:
        state["withdrawn"] = ConsentLedger(private).digest(entry.identifier, day)
    return {"personal": state}


def unknown_datasets(policies: Policies, known: set[str]) -> list[tuple[str, str]]:
    """``(section, name)`` of the datasets ``personal.datasets`` and ``retention.datasets`` name
    that the workspace does not have (a typo there silently protects nothing)."""
    named = [("personal.datasets", n) for n in policies.personal.datasets]
    named += [("retention.datasets", n) for n in policies.retention.datasets]
    return [(section, name) for section, name in named if name not in known]


@dataclass
class Gated:
    raw: RawRelation
    schema: TableSchema | None
    #: why no row may be staged today (a supply convention ended), or None
    suspended: str | None = None
    report: dict[str, Any] = field(default_factory=dict)


def apply_gate(
    private: Path,
    engine: Engine,
    entry: DatasetEntry,
    raw: RawRelation,
    tmp: Path,
    read_policies: Callable[[], Policies],
    sha: str,
    today: date | None = None,
) -> Gated:
    """Pseudonymise, drop and filter the rows of a personal dataset; others pass unchanged."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = personal_fields(entry)
    if not fields:
        return Gated(raw, entry.schema_)
    day = today or datetime.now(UTC).date()
    policies = read_policies()  # only for personal data: other sources do not pay for it
    processing = policies.personal.datasets.get(entry.identifier)
    table = engine.fetch_arrow(f"SELECT * FROM {raw.sql}")
    rejected = raw.finish(engine, table.num_rows) if raw.finish is not None else None
    key = Keyring(private).current()
    report: dict[str, Any] = {"key": key.id, "pseudonymised": [], "dropped": [], "withdrawn_rows": 0}

    subject = subject_field(entry, processing)
    if processing is not None and processing.consent:
        if subject is None or subject not in table.column_names:
            raise ConfigError(
                f"dataset {entry.identifier!r} needs consent but no pseudonymised subject field is in the file",
                hint=f"set personal.datasets.{entry.identifier}.subject to the field that identifies the person",
            )
        table, report["withdrawn_rows"] = _without_withdrawn(table, subject, private, entry.identifier, day)

    # minimisation: a column the schema does not declare would reach the quarantine's raw values
    declared = {f.name for f in entry.schema_.fields} if entry.schema_ is not None else set(table.column_names)
    undeclared = [c for c in table.column_names if c != "_line" and c not in declared]
    table = table.drop_columns(undeclared)
    report["undeclared_dropped"] = undeclared

    versions = Versions(private)
    versions.ingested(entry.identifier, sha, datetime.now(UTC).replace(tzinfo=None))
    report["expired_fields"] = [f for f in versions.expired(entry.identifier, sha) if f in table.column_names]
    for name in report["expired_fields"]:
        position = table.column_names.index(name)
        table = table.set_column(position, name, pa.nulls(table.num_rows, table.schema.field(name).type))

    reident: list[tuple[str, str]] = []
    for name, kind in fields.items():
        if name not in table.column_names:
            continue
        position = table.column_names.index(name)
        if kind == "drop":
            table = table.remove_column(position)
            report["dropped"].append(name)
        elif kind == "pseudonymise":
            values = table.column(name).cast(pa.string()).to_pylist()
            pseudonyms = [None if v is None else key.pseudonym(v) for v in values]
            if processing is not None and processing.reidentify:
                reident += [(p, v) for p, v in zip(pseudonyms, values, strict=True) if p is not None and v is not None]
            table = table.set_column(position, name, pa.array(pseudonyms, pa.string()))
            report["pseudonymised"].append(name)
    if reident:
        ReidentificationTable(private).add(entry.identifier, reident)

    path = tmp / "personal-gated.parquet"
    pq.write_table(table, path)
    relation = f"read_parquet({quote_literal(str(path))})"
    gated = RawRelation(
        sql=relation,
        columns=describe(engine, relation, "after pseudonymisation"),
        notes={**raw.notes, "personal": report},
        finish=_redacted(rejected),
        invalid_geometries=raw.invalid_geometries,
    )
    schema = entry.schema_
    if schema is not None and report["dropped"]:
        kept = [f for f in schema.fields if f.name not in report["dropped"]]
        schema = schema.model_copy(update={"fields": kept})
    return Gated(gated, schema, suspension(policies, entry.identifier, day), report)


def _without_withdrawn(table: pa.Table, subject: str, private: Path, dataset: str, day: date) -> tuple[pa.Table, int]:
    import pyarrow as pa

    withdrawn = ConsentLedger(private).withdrawn(dataset, day)
    if not withdrawn:
        return table, 0
    keys = {k.id: k for k in Keyring(private).all()}
    used = [keys[k] for k in sorted({p.split(":", 1)[0] for p in withdrawn}) if k in keys]
    values = table.column(subject).cast(pa.string()).to_pylist()
    keep = [v is None or not _matches(v, used, withdrawn) for v in values]
    kept = table.filter(pa.array(keep, pa.bool_()))
    return kept, table.num_rows - kept.num_rows


def _matches(value: str, keys: list[Key], withdrawn: set[str]) -> bool:
    return any(k.pseudonym(value) in withdrawn for k in keys)


def _redacted(rejected: Rejected | None) -> Callable[[Engine, int], Rejected | None] | None:
    """The reader's rejected lines without their text (it holds identifiers): line and reason only."""
    if rejected is None:
        return None
    safe = Rejected(
        sql=f"(SELECT _line, NULL::VARCHAR AS _raw, _errors FROM {rejected.sql})",
        count=rejected.count,
        line_fix=rejected.line_fix,
        reasons=rejected.reasons,
    )
    return lambda _engine, _rows: safe


__all__ = [
    "Gated",
    "apply_gate",
    "definition",
    "is_personal",
    "personal_fields",
    "subject_field",
    "suspension",
    "unknown_datasets",
]
