"""What each kind of step does. The runner decides whether a step runs; the kind's handler runs it.

A handler is a plugin of the registry's ``territoria.steps`` group, named by the kind of its
steps (``Step.kind``); the built-in ones (ingest, model, indicator, publish) are entry points
in pyproject.toml. ``run(ctx, step)`` returns what the step wants published; a ``FetchFirst``
handler also fetches its source before the runner decides, so that an unchanged source costs
no work downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from territoria.catalog.model import DatasetEntry
from territoria.connectors.formats import get_reader
from territoria.connectors.spec import FetchContext, FetchResult, get_connector, parse_options
from territoria.core.errors import DataError, SourceError, TerritoriaError, WaitingForData
from territoria.core.registry import registry
from territoria.engines.base import Engine, TableWrite, quote_ident
from territoria.governance.guards import get_guard
from territoria.governance.personal.gate import apply_gate
from territoria.indicators.definition import REQUIRED_COLUMNS, IndicatorDef
from territoria.pipelines.indicator_tests import indicator_failures, unique_keys
from territoria.pipelines.spec import DatasetInfo, IndicatorStep, IngestStep, ModelStep, PublishStep, Step
from territoria.validation import validate_relation
from territoria.validation.metadata import placeholder_warnings
from territoria.workspace import Workspace
from territoria.workspace.policies import as_policies


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


@dataclass(frozen=True)
class StepContext:
    """What a handler may use to run a step."""

    ws: Workspace
    engine: Engine
    datasets: dict[str, DatasetInfo]
    policies: dict[str, Any]
    #: the folders of the packs the workspace loads (rule sets ship in their secrecy.yaml)
    packs: tuple[Path, ...] = ()
    #: what a ``FetchFirst`` handler fetched, once the runner recorded it
    fetched: Fetched | None = None


S = TypeVar("S", bound=Step)


class StepHandler(Generic[S]):
    """How the steps of one kind run."""

    #: the reason recorded when a step is skipped because its input key did not change
    unchanged: ClassVar[str] = "inputs and definition unchanged"

    def run(self, ctx: StepContext, step: S) -> StepOutcome:
        raise NotImplementedError


class FetchFirst(StepHandler[S]):
    """A kind whose steps fetch a source first: the runner records the fetch, keys the step by
    the fetched content, and commits the step on its own (a fetch is never rolled back)."""

    unchanged = "unchanged source"

    def source(self, step: S) -> DatasetEntry:
        """The catalog entry fetched (its cadence and saved state are the runner's)."""
        raise NotImplementedError

    def fetch(self, ctx: StepContext, step: S, previous: dict[str, Any] | None) -> Fetched:
        raise NotImplementedError


def step_handler(step: Step) -> StepHandler[Any]:
    handler: StepHandler[Any] = registry.get("territoria.steps", step.kind)
    return handler


class Ingest(FetchFirst[IngestStep]):
    def source(self, step: IngestStep) -> DatasetEntry:
        return step.entry

    def fetch(self, ctx: StepContext, step: IngestStep, previous: dict[str, Any] | None) -> Fetched:
        return fetch_source(ctx.ws, step.entry, previous)

    def run(self, ctx: StepContext, step: IngestStep) -> StepOutcome:
        sha256 = ctx.fetched.result.sha256 if ctx.fetched else None
        if ctx.fetched is None or sha256 is None:
            raise SourceError(
                f"source {step.entry.identifier!r} has nothing landed to load",
                hint="run again: the source will be fetched in full",
            )
        return run_ingest(ctx.ws, ctx.engine, step.entry, ctx.fetched, sha256)


class Model(StepHandler[ModelStep]):
    def run(self, ctx: StepContext, step: ModelStep) -> StepOutcome:
        name = step.outputs[0]
        sql = step.render(ctx.datasets)
        return StepOutcome(writes=[TableWrite("model", name, sql)], lineage=[(i, name) for i in step.inputs])


class Indicator(StepHandler[IndicatorStep]):
    def run(self, ctx: StepContext, step: IndicatorStep) -> StepOutcome:
        return run_indicator(ctx.engine, step, ctx.datasets)


class Publish(StepHandler[PublishStep]):
    def run(self, ctx: StepContext, step: PublishStep) -> StepOutcome:
        src = ctx.datasets[step.inputs[0]]
        out = ctx.datasets[step.outputs[0]]
        select = f"SELECT * FROM {src.qualified}"
        report: dict[str, Any] = {"access": src.access.value}
        if src.secrecy:
            guard = get_guard(src.secrecy)
            result = guard.protect(ctx.engine, src.name, select, src.secrecy, ctx.policies, packs=ctx.packs)
            select = result.select_sql
            report["secrecy"] = result.report
        lineage = [(step.inputs[0], step.outputs[0])]
        return StepOutcome(writes=[TableWrite("published", out.name, select)], report=report, lineage=lineage)


# the built-in kinds, as their entry points name them
INGEST, MODEL, INDICATOR, PUBLISH = Ingest(), Model(), Indicator(), Publish()


def run_ingest(ws: Workspace, engine: Engine, entry: DatasetEntry, fetch: Fetched, sha256: str) -> StepOutcome:
    """Read the landed payload ``sha256``, validate it against the entry's schema, stage it."""
    fetched = fetch.result
    fmt, read_options = fetch.format, fetch.read_options
    landed = ws.landing.path(sha256)
    tmp = ws.tmp_dir / f"ingest-{entry.identifier}"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        raw = get_reader(fmt)(engine, landed, read_options, tmp)
        # personal fields are pseudonymised or dropped before anything checks or stages them
        gated = apply_gate(ws.private, engine, entry, raw, tmp, lambda: as_policies(ws.policies()), sha256)
        try:
            outcome = validate_relation(
                engine,
                gated.raw,
                gated.schema,
                f"_validate_{entry.identifier}",
                dataset=entry.identifier,
                staged=("staging", entry.identifier),
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
        report["reader"] = gated.raw.notes
        if gated.suspended:
            # the data may not be held today: nothing is staged, so nothing is derived or published
            outcome.staging_sql = f"SELECT * FROM ({outcome.staging_sql}) WHERE false"
            outcome.staged_table = None
            outcome.quarantine_sql = f"SELECT * FROM ({outcome.quarantine_sql}) WHERE false"
            report["warnings"].append(f"not staged: {gated.suspended}")
    except BaseException:
        _remove_tree(tmp)
        raise
    lineage = [
        (f"source:{fetched.record.url}", f"landing:{sha256}"),
        (f"landing:{sha256}", entry.identifier),
    ]
    return StepOutcome(
        writes=[
            TableWrite("staging", entry.identifier, outcome.staging_sql, rename_from=outcome.staged_table),
            TableWrite("quarantine", entry.identifier, outcome.quarantine_sql),
        ],
        rows_in=report["rows_in"],
        rows_quarantined=report["rows_quarantined"],
        bytes_read=landed.stat().st_size,
        report=report,
        lineage=lineage,
        cleanup=outcome.scratch,
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


def run_indicator(engine: Engine, step: IndicatorStep, datasets: dict[str, DatasetInfo]) -> StepOutcome:
    ind = step.indicator
    sql = step.render(datasets)
    work = quote_ident(f"_indicator_{ind.id}")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS SELECT * FROM ({sql})")
    try:
        if not engine.fetch_all(f"SELECT 1 FROM {work} LIMIT 1"):
            # an empty indicator published as a success would read as "nothing to report"
            raise WaitingForData(
                f"indicator {ind.id} has no row: its inputs hold no data for the territory yet",
                hint="see `territoria sources status` for what is missing",
            )
        cols = [r[0] for r in engine.fetch_all(f"DESCRIBE {work}")]
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            raise DataError(
                f"indicator {ind.id} SQL does not return column(s) {', '.join(missing)}",
                hint="see indicators/definition.py for the expected columns",
            )
        if "secret" not in cols:
            engine.execute(f"ALTER TABLE {work} ADD COLUMN secret BOOLEAN DEFAULT false")
        failures = indicator_failures(engine, work, ind)
        if failures:
            raise DataError(
                f"indicator {ind.id} v{ind.version} fails its tests: " + "; ".join(failures),
                hint="nothing was published; the previous values are kept",
            )
    except BaseException:
        engine.execute(f"DROP TABLE IF EXISTS {work}")
        raise
    kept = [c for c in (cols if "secret" in cols else [*cols, "secret"]) if c != "value"]
    columns = ["indicator", "version", *kept, "value", "unit"]
    select = (
        f"SELECT '{ind.id}' AS indicator, {ind.version} AS version, * EXCLUDE (value), "
        f"round(value, {ind.decimals}) AS value, {_lit(ind.unit)} AS unit FROM {work} "
        f"ORDER BY {_indicator_order(ind, columns)}"
    )
    return StepOutcome(
        writes=[TableWrite("indicator", ind.id, select)], lineage=[(i, ind.id) for i in step.inputs], cleanup=[work]
    )


_REWRITTEN = ("indicator", "version", "value", "unit")


def _indicator_order(ind: IndicatorDef, columns: list[str]) -> str:
    """The ORDER BY of the indicator table, whose columns are ``columns``: every column, first to
    last, so that the same rows make the same table on any thread count (issue 18). A ``unique``
    test that passed leaves no two rows equal on its columns, so the columns after the last of
    them never decide: the sort stops there, in the same order, for less work (sorting the 7 M rows
    of ``ges_emissions`` on every column encodes its label, factor and version strings too). The
    key must not hold a column the copy rewrites: the tests see ``value`` before it is rounded (two
    values may round to one), and the SQL's own ``indicator``, ``version`` or ``unit``, if any,
    not the copy's constants."""
    leading = len(columns)
    for key in unique_keys(ind):
        if key and not set(key) & set(_REWRITTEN) and set(key) <= set(columns):
            leading = min(leading, max(columns.index(k) for k in key) + 1)
    return "ALL" if leading == len(columns) else ", ".join(str(i) for i in range(1, leading + 1))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
