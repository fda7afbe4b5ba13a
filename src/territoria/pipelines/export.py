"""Export what is published, and only that.

``csv`` is the French convention spreadsheet users expect (``;``, decimal comma, UTF-8 with
BOM); ``csv-std`` is RFC 4180 with a dot; ``geojson`` joins commune boundaries when the
dataset has a ``code`` column and no geometry; ``parquet`` keeps types (GeoParquet when there
is a geometry).
"""

from __future__ import annotations

from pathlib import Path

from territoria.core.errors import NotFoundError, UserError
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.engines.base import Engine, quote_ident, require
from territoria.governance.access import Principal, Role
from territoria.governance.audit import AuditLog
from territoria.ledger import META
from territoria.pipelines.plan import Plan

FORMATS = ("csv", "csv-std", "geojson", "parquet")


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
    purpose: str | None = None,
    who: str = "cli",
    audit: AuditLog | None = None,
) -> int:
    if fmt not in FORMATS:
        raise UserError(
            f"unknown export format {fmt!r}", hint=did_you_mean(fmt, FORMATS) or f"choose one of {', '.join(FORMATS)}"
        )
    relation, access = published_relation(plan, engine, dataset)
    if access is not AccessLevel.open:
        if not purpose:
            raise UserError(
                f"dataset {dataset!r} is {access.value}: its export is audited",
                hint='say why with --purpose "..." (it is written to the audit log)',
            )
        if audit is not None:  # the workspace's audit log, shared with the API
            audit.record(Principal(who, Role.admin), f"export-{fmt}", dataset, access, purpose)
            return _write(plan, engine, dataset, fmt, dest, relation)
        engine.execute(
            f"CREATE TABLE IF NOT EXISTS {META}.audit "
            "(recorded_at TIMESTAMP, who VARCHAR, action VARCHAR, dataset VARCHAR, purpose VARCHAR)"
        )
        engine.execute(f"INSERT INTO {META}.audit VALUES (now(), ?, 'export', ?, ?)", [who, dataset, purpose])
    return _write(plan, engine, dataset, fmt, dest, relation)


def _write(plan: Plan, engine: Engine, dataset: str, fmt: str, dest: Path, relation: str) -> int:
    boundaries = 'staging."contours-communes"' if engine.table_exists("staging", "contours-communes") else None
    write_export(engine, relation, engine.columns("published", dataset), fmt, dest, boundaries, dataset)
    return int(engine.fetch_all(f"SELECT count(*) FROM {relation}")[0][0])


def write_export(
    engine: Engine,
    relation: str,
    cols: list[tuple[str, str]],
    fmt: str,
    dest: Path,
    boundaries: str | None,
    dataset: str,
) -> None:
    """Write ``relation`` (whose columns are ``cols``) to ``dest``; ``boundaries`` has code + geometry."""
    geom = next((c for c, t in cols if t.upper().startswith("GEOMETRY")), None)
    # rows in a stable order (columns left to right, keys come first): two exports of the same
    # publication are the same file, and a diff between two publications shows what changed
    order = ", ".join(quote_ident(c) for c, _ in cols if c != geom)
    order_by = f" ORDER BY {order}" if order else ""
    select = f"SELECT * FROM {relation}{order_by}"
    if fmt == "geojson":
        if geom is None:
            if "code" not in [c for c, _ in cols] or boundaries is None:
                raise UserError(
                    f"dataset {dataset!r} has no geometry and no commune code to join boundaries on",
                    hint="export it as csv or parquet",
                )
            select = f"SELECT d.*, b.geometry FROM {relation} d LEFT JOIN {boundaries} b USING (code){order_by}"
        require(engine, "spatial", "a GeoJSON export (GDAL)")
        engine.copy_to(select, dest, "GDAL", {"DRIVER": "GeoJSON"})
    elif fmt == "parquet":
        engine.copy_to(select, dest, "PARQUET", {"COMPRESSION": "zstd"})
    else:
        if geom:
            select = f"SELECT * REPLACE (ST_AsText({quote_ident(geom)}) AS {quote_ident(geom)}) FROM ({select})"
        if fmt == "csv":
            numeric = [
                c for c, t in cols if t.upper() in ("DOUBLE", "FLOAT", "REAL") or t.upper().startswith("DECIMAL")
            ]
            if numeric:
                repl = ", ".join(
                    f"replace(CAST({quote_ident(c)} AS VARCHAR), '.', ',') AS {quote_ident(c)}" for c in numeric
                )
                select = f"SELECT * REPLACE ({repl}) FROM ({select})"
            tmp = dest.with_name(dest.name + ".part")
            engine.copy_to(select, tmp, "CSV", {"HEADER": "true", "DELIMITER": ";"})
            with dest.open("wb") as out, tmp.open("rb") as fh:
                out.write(b"\xef\xbb\xbf")
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
            tmp.unlink()
        else:
            engine.copy_to(select, dest, "CSV", {"HEADER": "true", "DELIMITER": ","})
