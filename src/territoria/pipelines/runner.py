"""The incremental DAG runner.

For each step, in topological order: compute its input key (its definition hash plus the
content hashes of its inputs, or of the landed payload for an ingest step); skip it when the
key equals the one of its last success and its outputs exist; otherwise run it, publish its
outputs atomically, fingerprint them, and record everything. A failed step blocks what
depends on it and leaves every previous output as it was; independent branches go on.
"""

from __future__ import annotations

import resource
import secrets
import time
import traceback
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from territoria.catalog.model import DatasetEntry
from territoria.core.errors import TerritoriaError, WaitingForData
from territoria.core.hashing import stable_hash
from territoria.engines.base import Engine
from territoria.engines.pack_errors import pack_error
from territoria.footprint import StepMeter, load_policy, not_due
from territoria.ledger import (
    FetchRow,
    RunClose,
    RunStart,
    StepRecord,
    close_run,
    dataset_hashes,
    ensure_meta,
    now,
    source_checks,
    source_states,
    start_run,
    step_keys,
    write_fetch,
    write_fetches,
)
from territoria.ledger import write_step_records as insert_many
from territoria.pipelines.group import GROUP_SECONDS, Group, input_key
from territoria.pipelines.hooks import Hooks, RunContext, RunHook, installed_hooks
from territoria.pipelines.plan import Plan
from territoria.pipelines.plan_cache import load_plan
from territoria.pipelines.refusals import write_refused
from territoria.pipelines.spec import Step
from territoria.pipelines.steps import FetchFirst, StepContext, StepHandler, StepOutcome, step_handler
from territoria.validation.tableschema import drop_staged_leftovers
from territoria.workspace import Workspace


@dataclass
class RunSummary:
    run_id: str
    status: str
    records: list[StepRecord] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    footprint: dict[str, Any] = field(default_factory=dict)
    #: the publication snapshot the API serves (written by the publishing run hook), or why it was not
    publication: str | None = None
    publication_error: str | None = None
    #: raw payloads the landing retention policy removed
    landing_removed: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failed(self) -> list[StepRecord]:
        return [r for r in self.records if r.status == "failed"]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def _usage() -> tuple[float, int]:
    """CPU seconds (process and children) and peak resident bytes, from one reading of each:
    ``RUSAGE_SELF`` sums every thread of the process (DuckDB's workers too), so it is read once."""
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime, self_.ru_maxrss * 1024


def _cpu() -> float:
    return _usage()[0]


def count_rows(engine: Engine, qualified: str) -> int:
    return int(engine.fetch_all(f"SELECT count(*) FROM {qualified}")[0][0])


class Runner:
    def __init__(
        self,
        ws: Workspace,
        engine: Engine,
        plan: Plan,
        *,
        force: bool = False,
        check_all: bool = False,
    ) -> None:
        self.ws = ws
        self.engine = engine
        self.plan = plan
        self.force = force
        self.hashes = dataset_hashes(engine)
        self.keys = step_keys(engine)
        self.policies = ws.policies()
        self.pending: list[StepRecord] = []
        #: fetches that found their source unchanged, written with the next records (``_save_fetch``)
        self.fetches: list[tuple[FetchRow, dict[str, Any], str | None, datetime]] = []
        self.store0 = self.store_bytes = engine.capabilities.store_size(ws.store_dir)
        #: the open group commit (``pipelines/group.py``); grouping stops for the rest of a run after a replay
        self.group: Group | None = None
        self.grouping = True
        #: members of groups rolled back because a step failed or the run stopped
        self.undone: list[tuple[Step, StepRecord]] = []
        self.check_all = check_all
        self.meter = StepMeter(load_policy(self.policies), engine, {s.id: s.pack for s in plan.steps.values()})
        self.checks = source_checks(engine)
        #: every source's state, read at the first fetch (one query, not one per source); each
        #: source is fetched once per run, so what a fetch writes is never read again here
        self._source_states: dict[str, dict[str, Any]] | None = None
        # one catalog query instead of one per step output (the no-change refresh is mostly these checks)
        self.tables = engine.tables()
        # a crash's leftover of a dataset removed since: no ingest of it will ever replace it
        self.tables -= drop_staged_leftovers(engine, self.tables, {(d.schema, d.name) for d in plan.datasets.values()})
        self.context = StepContext(ws, engine, plan.datasets, self.policies, tuple(plan.packs.values()))
        #: steps waiting for an input (data or parameter): neither failed nor run; what reads them waits too
        self.waiting: set[str] = set()
        self.handlers: dict[str, StepHandler[Any]] = {}

    def outputs_exist(self, step: Step) -> bool:
        return all((self.plan.datasets[o].schema, self.plan.datasets[o].name) in self.tables for o in step.outputs)

    def handler(self, step: Step) -> StepHandler[Any]:
        """The step's handler, looked up in the registry once per kind and run (twice a step otherwise)."""
        handler = self.handlers.get(step.kind)
        if handler is None:
            handler = self.handlers[step.kind] = step_handler(step)
        return handler

    @staticmethod
    def fetches_first(step: Step) -> bool:
        """The step fetches a source before it is keyed (and commits on its own)."""
        return isinstance(step_handler(step), FetchFirst)

    def execute(self, step: Step, rec: StepRecord) -> StepOutcome | None:
        """Run ``step`` if its inputs or definition changed; ``None`` means skipped."""
        rec.definition_hash = step.definition_hash
        handler = self.handler(step)
        ctx = self.context
        if isinstance(handler, FetchFirst):
            entry = handler.source(step)
            if self._skip_by_cadence(step, entry, rec):
                return None
            if self._source_states is None:
                self._source_states = source_states(self.engine)
            fetch = handler.fetch(ctx, step, self._source_states.get(entry.identifier))
            fetched = fetch.result
            self._save_fetch(rec.run_id, fetched)
            rec.inputs = {f"landing:{fetched.sha256}": fetched.sha256}
            rec.input_key = stable_hash([rec.definition_hash, fetched.sha256])
            rec.report["fetch"] = {
                "status": fetched.record.status,
                "bytes": fetched.record.bytes,
                "url": fetched.record.url,
                "landed_bytes": fetched.landed.size if fetched.landed and fetched.landed.new else 0,
                **fetched.record.headers,
            }
            ctx = replace(ctx, fetched=fetch)
        elif self.force and self.group is not None and self.group.waits_for(step):
            # forced: no decision needs the key now; it is computed with the group's fingerprints
            self.group.unkeyed.append((step, rec))
        else:
            if self.group is not None and self.group.waits_for(step):
                self.group.resolve(self.engine, self.plan.datasets, self.hashes, self.keys)
            input_key(step, rec, self.hashes)
        if not self.force and self.keys.get(step.id) == rec.input_key and self.outputs_exist(step):
            rec.reason = handler.unchanged
            return None
        if self.grouping and not isinstance(handler, FetchFirst):
            self.open_group()
        return handler.run(ctx, step)

    def _skip_by_cadence(self, step: Step, entry: DatasetEntry, rec: StepRecord) -> bool:
        checked_at, sha = self.checks.get(entry.identifier, (None, None))
        if self.force or self.check_all or step.id not in self.keys or not self.outputs_exist(step):
            return False
        reason = not_due(self.meter.policy.cadence, entry, checked_at, now())
        if reason is None:
            return False
        rec.reason, rec.input_key = reason, self.keys[step.id]
        rec.inputs = {f"landing:{sha}": sha}
        rec.report["cadence"] = {"frequency": entry.frequency, "checked_at": checked_at}
        return True

    def _save_fetch(self, run_id: str, fetched: Any) -> None:
        r = fetched.record
        fetch = FetchRow(
            run_id, r.dataset, r.kind, r.url, r.status, r.changed, r.bytes, r.sha256, r.request, r.headers, r.at
        )
        if r.changed:
            write_fetch(self.engine, fetch, fetched.state, fetched.sha256)
        else:  # nothing new to read: recorded with the next commit, so a no-change run commits once
            self.fetches.append((fetch, fetched.state, fetched.sha256, now()))

    # -- commits ---------------------------------------------------------------------------
    def open_group(self) -> None:
        """Open the group transaction the next steps join (see ``pipelines/group.py``)."""
        if self.group is None:
            stack = ExitStack()
            stack.enter_context(self.engine.transaction())
            saved = (dict(self.hashes), dict(self.keys), set(self.tables))
            self.group = Group(stack, time.perf_counter(), saved)

    def commit(self, step: Step, rec: StepRecord, outcome: StepOutcome) -> None:
        """Publish the step's tables, fingerprint them and move its state forward, all in one
        transaction: the open group's, or the step's own (an ingest step, or after a failure).
        A kill at any point leaves either all of it or none of it."""
        own = self.group is None
        if own:
            self.open_group()
        group = self.group
        assert group is not None
        at = now()
        try:
            rows = {(w.schema, w.name): self.engine.create_or_replace(w) for w in outcome.writes}
        except BaseException:
            self.rollback_group()  # first: an aborted transaction refuses even the DROPs below
            outcome.release(self.engine)
            raise
        # Work tables are dropped inside the transaction: a rollback brings back neither them nor the drop.
        outcome.release(self.engine)
        rec.ended_at = at
        for out in step.outputs:
            info = self.plan.datasets[out]
            # the dataset's last update is when its step started, not ``at``: the step's end is one
            # of its figures (with its start, its wall time), withheld from who may not read it,
            # while every catalog (API, DCAT feed, provenance) shows the last update to everyone
            group.unprinted[out] = (step, rec, rec.started_at)
            rec.outputs[out] = None
            self.tables.add((info.schema, info.name))
        if step.outputs:
            first = self.plan.datasets[step.outputs[0]]
            counted = rows.get((first.schema, first.name))
            rec.rows_out = counted if counted is not None else count_rows(self.engine, first.qualified)
        group.states[step.id] = (rec, at)
        group.lineage.extend([rec.run_id, step.id, src, dst, at] for src, dst in outcome.lineage)
        group.members.append((step, rec))
        self.keys[step.id] = rec.input_key
        if own or time.perf_counter() - group.started >= GROUP_SECONDS:
            self.commit_group()

    def commit_group(self) -> None:
        """Make the open group durable: its state, the records of earlier steps, one COMMIT.
        The members' own records wait for the next write: their share of the store growth is
        known only once this commit is done."""
        group = self.group
        if group is None:
            return
        size0 = self.store_bytes
        members = {id(rec) for _, rec in group.members}
        ready = [rec for rec in self.pending if id(rec) not in members]
        try:
            group.resolve(self.engine, self.plan.datasets, self.hashes, self.keys)
            group.write_state(self.engine)
            insert_many(self.engine, ready)
            write_fetches(self.engine, self.fetches)
        except BaseException:
            self.rollback_group()
            raise
        self.group = None
        group.stack.close()
        self.fetches.clear()
        self.pending = [rec for rec in self.pending if id(rec) in members]
        # The store grows at the commit; the steps that shared it share that growth.
        self.store_bytes = self.engine.capabilities.store_size(self.ws.store_dir)
        grown = max(0, self.store_bytes - size0)
        for _, rec in group.members:
            rec.bytes_written = grown // len(group.members)
            if "store_bytes_delta" in rec.footprint:  # measured before the commit: bring it up to date
                rec.footprint["store_bytes_delta"] = rec.bytes_written

    def rollback_group(self) -> None:
        """Undo the open group; its members, whose work is no longer in the store, go to ``undone``."""
        group = self.group
        if group is None:
            return
        self.group = None
        with suppress(RolledBack):
            group.stack.__exit__(RolledBack, RolledBack(), None)
        self.hashes, self.keys, self.tables = group.saved
        self.undone.extend(group.members)

    def flush_records(self) -> None:
        """Write the step records waiting in memory, in their own transaction. A record waits
        for the next commit (or the end of the run), so that an unchanged run costs one
        write, not one per step; a killed run may lose the last records, never data or state."""
        if self.pending or self.fetches:
            with self.engine.transaction():
                insert_many(self.engine, self.pending)
                write_fetches(self.engine, self.fetches)
            self.pending.clear()
            self.fetches.clear()


class RolledBack(Exception):
    """Raised into the group's transaction to roll it back."""


def run_pipeline(
    ws: Workspace,
    engine: Engine,
    *,
    only: list[str] | None = None,
    force: bool = False,
    command: str = "run",
    check_all: bool = False,
    hooks: Sequence[RunHook] | None = None,
) -> RunSummary:
    """Run the selected steps; ``hooks`` (default: the installed run hooks, which publish) are
    called around the run and each step (``pipelines/hooks.py``)."""
    ensure_meta(engine)
    swept = ws.landing.sweep()
    plan = load_plan(ws)
    selected = plan.select(only) if only else set(plan.steps)
    runner = Runner(ws, engine, plan, force=force, check_all=check_all)
    # a step left out of the selection whose outputs were never built has nothing to give: what reads it waits
    runner.waiting.update(s for s in plan.steps if s not in selected and not runner.outputs_exist(plan.steps[s]))
    summary = RunSummary(new_run_id(), "running")
    run = RunContext(ws, engine, plan, summary.run_id, [s for s in plan.order if s in selected], runner.policies)
    hook = Hooks(installed_hooks() if hooks is None else hooks)
    started, cpu0 = time.perf_counter(), _cpu()
    start_run(engine, RunStart(summary.run_id, now(), command, len(selected)))
    broken: set[str] = set()
    hook.before_run(run)
    try:
        for step_id in plan.order:
            if step_id not in selected:
                continue
            step = plan.steps[step_id]
            fetches = isinstance(runner.handler(step), FetchFirst)  # as ``Runner.fetches_first``
            if fetches:
                runner.commit_group()  # a fetch is recorded on its own, before the step reads it
            rec = StepRecord(summary.run_id, step.id, step.kind)
            if swept and fetches:
                rec.report["landing_swept_tmp_files"] = swept
            hook.before_step(run, step.id)
            # a fetch step's commit of the group before it is not its I/O: its counters are read anew
            probe = runner.meter.start(fresh=fetches)
            # looked for only once something failed or waits (a run of successes asks neither)
            blockers = [plan.producers[i] for i in step.inputs if plan.producers[i] in broken] if broken else None
            if blockers:
                rec.status, rec.reason = "blocked", "(upstream failed)"
                rec.error = f"not run: {', '.join(blockers)} failed"
                broken.add(step.id)
            elif step.id in plan.waiting or (
                runner.waiting and any(plan.producers[i] in runner.waiting for i in step.inputs)
            ):
                rec.status, rec.reason = "waiting", "(waiting for data)"
                late = [i for i in step.inputs if plan.producers[i] in runner.waiting]
                rec.error = plan.waiting.get(step.id) or f"not run: an input is waiting for data ({', '.join(late)})"
                runner.waiting.add(step.id)
            else:
                _run_one(runner, step, rec, broken)
            rec.ended_at = rec.ended_at or now()
            rec.footprint = runner.meter.finish(rec, probe)
            runner.pending.append(rec)
            summary.records.append(rec)
            hook.after_step(run, rec)
        runner.commit_group()
    except BaseException as exc:  # KeyboardInterrupt included: record, then let it go on
        runner.rollback_group()
        for _, undone in runner.undone:
            undone.status, undone.error = "interrupted", "rolled back: the run stopped before this step was committed"
        runner.flush_records()
        _close_run(engine, summary, started, cpu0, "interrupted", f"{type(exc).__name__}: {exc}", runner)
        raise
    status = "failed" if broken else "success"
    runner.flush_records()
    _close_run(engine, summary, started, cpu0, status, "; ".join(r.error or "" for r in summary.failed) or None, runner)
    hook.after_run(run, summary)  # landing retention, publication (by default)
    return summary


def _run_one(runner: Runner, step: Step, rec: StepRecord, broken: set[str]) -> None:
    t0, c0 = time.perf_counter(), _cpu()
    try:
        outcome = runner.execute(step, rec)
        if outcome is None:
            rec.status = "skipped"
            rec.outputs = {o: runner.hashes.get(o) for o in step.outputs}
        else:
            rec.status = "success"
            rec.rows_in, rec.rows_quarantined = outcome.rows_in, outcome.rows_quarantined
            rec.bytes_read = outcome.bytes_read
            rec.report.update(outcome.report)
            runner.commit(step, rec, outcome)
    except WaitingForData as exc:
        rec.status, rec.reason, rec.error = "waiting", "(waiting for data)", str(exc)
        runner.waiting.add(step.id)
    except TerritoriaError as exc:
        rec.status, rec.error = "failed", str(exc)
        if exc.transient:  # trying again later may succeed (``territoria up`` retries these only)
            rec.report["transient"] = True
        broken.add(step.id)
    except Exception as exc:  # a bug, not a user mistake: keep the traceback in the record
        rec.status = "failed"
        refused = pack_error(exc) or write_refused(runner.ws, exc)
        if refused is not None:
            rec.error = str(refused)
        else:
            rec.error = f"internal error {type(exc).__name__}: {exc}"
            rec.report["traceback"] = traceback.format_exc(limit=8)
        broken.add(step.id)
    _measure(rec, t0, c0)
    if rec.status == "failed":
        _replay(runner, step, broken)


def _replay(runner: Runner, failed: Step, broken: set[str]) -> None:
    """A step failed inside a group: roll the group back, run the steps that had succeeded in it
    again, one transaction each, and commit step by step for the rest of the run."""
    runner.rollback_group()
    # the failed step is among them when its own commit failed: running it again would fail again
    undone = [(step, rec) for step, rec in runner.undone if step.id != failed.id]
    runner.undone = []
    if undone:  # at most one replay per run: a run with failures is not the one to save commits on
        runner.grouping = False
    for step, rec in undone:
        rec.report["replayed"] = f"run again on its own: {failed.id} failed in the same commit group"
        _run_one(runner, step, rec, broken)


def _measure(rec: StepRecord, t0: float, c0: float) -> None:
    rec.wall_s = time.perf_counter() - t0
    cpu, rec.peak_rss_bytes = _usage()
    rec.cpu_s = cpu - c0


def _close_run(
    engine: Engine, summary: RunSummary, started: float, cpu0: float, status: str, error: str | None, runner: Runner
) -> None:
    summary.status = status
    summary.wall_s = time.perf_counter() - started
    summary.cpu_s = _cpu() - cpu0
    summary.footprint = runner.meter.run_footprint(
        [r.footprint for r in summary.records],
        summary.wall_s,
        summary.cpu_s,
        store_bytes_delta=engine.capabilities.store_size(runner.ws.store_dir) - runner.store0,
    )
    close = RunClose(
        summary.run_id,
        now(),
        status,
        summary.count("success"),
        summary.count("skipped"),
        summary.count("failed") + summary.count("blocked"),
        summary.wall_s,
        summary.cpu_s,
        error,
        summary.footprint,
    )
    close_run(engine, close)


__all__ = ["RunHook", "RunSummary", "run_pipeline"]
