"""What each kind of step does. The runner decides whether a step runs; these functions do it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territoria.catalog.model import DatasetEntry
from territoria.connectors.formats import get_reader
from territoria.connectors.spec import FetchContext, FetchResult, get_connector, parse_options
from territoria.core.errors import DataError, TerritoriaError
from territoria.engines.base import Engine, TableWrite, quote_ident
from territoria.governance.guards import get_guard
from territoria.indicators.definition import REQUIRED_COLUMNS, IndicatorDef
from territoria.pipelines.spec import DatasetInfo, Step, render_sql
from territoria.validation import validate_relation
from territoria.validation.metadata import placeholder_warnings
from territoria.workspace import Workspace


@dataclass
class StepOutcome:
    """What a step wants published. The runner writes ``writes`` together with the step's
    state and record in one transaction, then drops the ``cleanup`` work tables."""

    writes: list[TableWrite] = field(default_factory=list)
    rows_in: int = 0
    rows_quarantined: int = 0
    bytes_read: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    lineage: list[tuple[str, str]] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    cleanup_dirs: list[Path] = field(default_factory=list)

    def release(self, engine: Engine) -> None:
        """Drop the work tables and files once the writes are committed or abandoned."""
        for table in self.cleanup:
            engine.execute(f"DROP TABLE IF EXISTS {table}")
        for directory in self.cleanup_dirs:
            if directory.is_dir():
                _remove_tree(directory)


@dataclass
class Fetched:
    result: FetchResult
    #: reader and its options, from the connector's validated options
    format: str
    read_options: dict[str, Any]


def fetch_source(ws: Workspace, entry: DatasetEntry, previous: dict[str, Any] | None) -> Fetched:
    connector = get_connector(entry.source.kind)
    options = parse_options(connector, entry.identifier, entry.source.options)
    ctx = FetchContext(entry.identifier, ws.root, ws.landing, ws.config, previous, ws.tmp_dir, entry.schema_)
    result = connector.fetch(options, ctx)
    return Fetched(result, str(getattr(options, "format", "csv")), dict(getattr(options, "read", {}) or {}))


def run_ingest(ws: Workspace, engine: Engine, step: Step, fetch: Fetched) -> StepOutcome:
    entry = step.entry
    fetched = fetch.result
    assert entry is not None and fetched.sha256 is not None
    fmt, read_options = fetch.format, fetch.read_options
    landed = ws.landing.path(fetched.sha256)
    tmp = ws.tmp_dir / f"ingest-{entry.identifier}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        raw = get_reader(fmt)(engine, landed, read_options, tmp)
        try:
            outcome = validate_relation(
                engine, raw, entry.schema_, f"_validate_{entry.identifier}", dataset=entry.identifier
            )
        except TerritoriaError:
            raise
        except Exception as exc:
            raise DataError(
                _explain_read_error(exc),
                hint="the file may be truncated or not in the declared format; the previous version is kept",
            ) from exc
        report = outcome.report(engine)
        report["warnings"] += placeholder_warnings(entry)
        report["reader"] = raw.notes
    except BaseException:
        _remove_tree(tmp)
        raise
    lineage = [
        (f"source:{fetched.record.url}", f"landing:{fetched.sha256}"),
        (f"landing:{fetched.sha256}", entry.identifier),
    ]
    return StepOutcome(
        writes=[
            TableWrite("staging", entry.identifier, outcome.staging_sql),
            TableWrite("quarantine", entry.identifier, outcome.quarantine_sql),
        ],
        rows_in=report["rows_in"],
        rows_quarantined=report["rows_quarantined"],
        bytes_read=landed.stat().st_size,
        report=report,
        lineage=lineage,
        cleanup=[outcome.work_table],
        # readers may leave files (transcoded CSV, XLSX as Parquet) that the writes still read
        cleanup_dirs=[tmp],
    )


def _remove_tree(directory: Path) -> None:
    for leftover in directory.glob("*"):
        leftover.unlink(missing_ok=True)
    directory.rmdir()


def _explain_read_error(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = str(exc).lower()
    if "unterminated quote" in lowered or ("quote" in lowered and "end of file" in lowered):
        return f"the file ends inside a quoted value (truncated?): {text}"
    if ("expected" in lowered and "columns" in lowered) or "too many columns" in lowered:
        return f"a line has a different number of columns than the header: {text}"
    if "unicode" in lowered or "utf-8" in lowered:
        return f"the file is not valid UTF-8: {text}"
    return f"the file could not be read: {text}"


def run_model(engine: Engine, step: Step, datasets: dict[str, DatasetInfo]) -> StepOutcome:
    assert step.sql is not None
    sql = render_sql(step.sql, datasets, step.meta.get("params", {}), step.id)
    name = step.outputs[0]
    return StepOutcome(writes=[TableWrite("model", name, sql)], lineage=[(i, name) for i in step.inputs])


def _indicator_failures(engine: Engine, table: str, ind: IndicatorDef) -> list[str]:
    failures: list[str] = []
    for test in ind.tests:
        col = quote_ident(test.column)
        if test.kind == "not_null":
            bad = engine.fetch_all(f"SELECT count(*) FROM {table} WHERE {col} IS NULL AND NOT coalesce(secret, false)")
            if bad[0][0]:
                failures.append(f"{bad[0][0]} null value(s) in {test.column} outside secret cells")
        elif test.kind in ("min", "max"):
            op = "<" if test.kind == "min" else ">"
            bad = engine.fetch_all(f"SELECT count(*) FROM {table} WHERE {col} {op} ?", [test.value])
            if bad[0][0]:
                failures.append(f"{bad[0][0]} value(s) of {test.column} {op} {test.value}")
        elif test.kind == "unique":
            cols = ", ".join(quote_ident(c) for c in test.columns)
            bad = engine.fetch_all(
                f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
            )
            if bad[0][0]:
                failures.append(f"{bad[0][0]} duplicated key(s) on ({', '.join(test.columns)})")
        elif test.kind == "rows_min":
            n = engine.fetch_all(f"SELECT count(*) FROM {table}")[0][0]
            if n < (test.value or 0):
                failures.append(f"{n} row(s), expected at least {test.value}")
        elif test.kind == "expression" and test.sql:
            bad = engine.fetch_all(f"SELECT count(*) FROM {table} WHERE NOT ({test.sql})")
            if bad[0][0]:
                failures.append(f"{bad[0][0]} row(s) break `{test.sql}`")
    return failures


def run_indicator(engine: Engine, step: Step, datasets: dict[str, DatasetInfo]) -> StepOutcome:
    ind = step.indicator
    assert ind is not None and step.sql is not None
    sql = render_sql(step.sql, datasets, step.meta.get("params", {}), step.id)
    work = quote_ident(f"_indicator_{ind.id}")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT * FROM ({sql})")
    try:
        cols = [r[0] for r in engine.fetch_all(f"DESCRIBE {work}")]
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            raise DataError(
                f"indicator {ind.id} SQL does not return column(s) {', '.join(missing)}",
                hint="see indicators/definition.py for the expected columns",
            )
        if "secret" not in cols:
            engine.execute(f"ALTER TABLE {work} ADD COLUMN secret BOOLEAN DEFAULT false")
        failures = _indicator_failures(engine, work, ind)
        if failures:
            raise DataError(
                f"indicator {ind.id} v{ind.version} fails its tests: " + "; ".join(failures),
                hint="nothing was published; the previous values are kept",
            )
    except BaseException:
        engine.execute(f"DROP TABLE IF EXISTS {work}")
        raise
    select = (
        f"SELECT '{ind.id}' AS indicator, {ind.version} AS version, * EXCLUDE (value), "
        f"round(value, {ind.decimals}) AS value, {_lit(ind.unit)} AS unit FROM {work} ORDER BY ALL"
    )
    return StepOutcome(
        writes=[TableWrite("indicator", ind.id, select)], lineage=[(i, ind.id) for i in step.inputs], cleanup=[work]
    )


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run_publish(engine: Engine, step: Step, datasets: dict[str, DatasetInfo], policies: dict[str, Any]) -> StepOutcome:
    src = datasets[step.inputs[0]]
    out = datasets[step.outputs[0]]
    select = f"SELECT * FROM {src.qualified}"
    report: dict[str, Any] = {"access": src.access.value}
    if src.secrecy:
        result = get_guard(src.secrecy).protect(engine, src.name, select, src.secrecy, policies)
        select = result.select_sql
        report["secrecy"] = result.report
    return StepOutcome(
        writes=[TableWrite("published", out.name, select)], report=report, lineage=[(step.inputs[0], step.outputs[0])]
    )
