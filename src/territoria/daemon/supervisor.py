"""The supervisor loop of ``territoria up``.

On each tick (half a second): file sources whose content changed, sources whose schedule is
due, sensor sources with new observations (at most every ``sensors_debounce``) and transient
failures whose backoff has passed become one run of those sources and what they feed
(``run_pipeline(only=...)``: the runner's own keys skip every step whose inputs did not
change). One run at a time, under the workspace lock like any ``territoria run``: a manual run
or a backup in progress makes the triggers wait for the next tick. A stop (SIGTERM) lets the
run in progress finish (its group commits and its publication is written, or nothing of it
is), then the listener stores and acknowledges what it holds, then the server stops.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from territoria.core.errors import TerritoriaError, WorkspaceLockedError
from territoria.core.wording import counted
from territoria.daemon.alerts import AlertBook
from territoria.daemon.metrics import Observatory
from territoria.daemon.schedule import Schedule, sources_of
from territoria.daemon.services import ApiService, SensorService
from territoria.daemon.state import DaemonState
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.ledger import ensure_meta, now, source_checks
from territoria.pipelines import build_plan, run_pipeline
from territoria.pipelines.runner import Runner, RunSummary
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace
from territoria.workspace.lock import WorkspaceLock
from territoria.workspace.operations import OperationsPolicy
from territoria.workspace.policies import as_policies

log = logging.getLogger("territoria.daemon")

TICK_S = 0.5


class Supervisor:
    def __init__(
        self, ws: Workspace, *, host: str = "127.0.0.1", port: int = 8000, api: bool = True, sensors: bool = True
    ) -> None:
        self.ws = ws
        self.metrics = Observatory()
        self.state = DaemonState.load(ws.private)
        self.stop = threading.Event()
        self.policy = self._policy()
        self.alerts = AlertBook(self.policy.alerts, self.state.alerts, ws.config.name, self.metrics)
        self.schedule = Schedule(sources_of(ws.root, ws.entries(), self.policy), self.state)
        self.checks: dict[str, tuple[datetime | None, str | None]] = {}
        self.sensor_news = threading.Event()
        self.last_sensor_run = 0.0
        self.last_audit = 0.0
        self.last_watch = 0.0
        #: datasets the plan produces (a catalog entry of a disabled pack is not run)
        self.producible: set[str] = set()
        # built once the supervisor's lock is held: a second `up` is refused before it binds a port
        self.want_api = (host, port) if api else None
        self.want_sensors = sensors
        self.api: ApiService | None = None
        self.sensors: SensorService | None = None
        self.lock = WorkspaceLock(ws.private / "daemon" / "lock")
        self._stamp = self._config_stamp()

    def _policy(self) -> OperationsPolicy:
        return as_policies(self.ws.policies()).operations

    def _config_stamp(self) -> tuple[Any, ...]:
        files = [self.ws.root / "policies.yaml", *sorted(self.ws.sources_dir.glob("*.yaml"))]
        return tuple((p.name, p.stat().st_mtime_ns) for p in files if p.exists())

    # -- life cycle ----------------------------------------------------------------------------
    def serve(self) -> None:
        """Run until ``stop`` is set; the state is saved on the way out, whatever happens."""
        self.lock.acquire()  # a second `territoria up` on the workspace is refused, with who holds it
        try:
            self._start()
            while not self.stop.is_set():
                self.tick()
                self.stop.wait(TICK_S)
        finally:
            self.metrics.health.stopping = True
            log.info("stopping", extra={"event": "stopping"})
            if self.sensors is not None:
                self.sensors.close()
            if self.api is not None:
                self.api.close()
            self.alerts.close()
            self.state.save(self.ws.private)
            self.lock.release()
            log.info("stopped", extra={"event": "stopped"})

    def _start(self) -> None:
        if self.want_api is not None:
            self.api = ApiService(self.ws, self.metrics, *self.want_api)
        if self.want_sensors and SensorService.wanted(self.ws):
            self.sensors = SensorService(self.ws, self.metrics, self.sensor_news.set)
        with self.ws.engine(wait_seconds=60) as engine:
            ensure_meta(engine)
            self.checks = source_checks(engine)
        self.schedule.start({k: v[0] for k, v in self.checks.items()}, now())
        self.metrics.health.published = current_snapshot(self.ws.private) is not None
        if self.api is not None:
            self.api.start()
            log.info(
                "api listening on http://%s:%s/",
                self.api.host,
                self.api.port,
                extra={"event": "api.listening", "host": self.api.host, "port": self.api.port},
            )
        if self.sensors is not None:
            self.sensors.start()
            log.info(
                "mqtt listener started", extra={"event": "mqtt.started", "broker": self.sensors.listener.broker.host}
            )
        # models, indicators and publications whose definition changed while we were down, with the due sources
        plan = build_plan(self.ws)
        self.producible = set(plan.producers)
        derived = [s for s, step in plan.steps.items() if not Runner.fetches_first(step)]
        self.execute(dict.fromkeys(self.schedule.due(now()), "schedule"), "start", extra=derived)

    # -- one tick ------------------------------------------------------------------------------
    def tick(self) -> None:
        self.metrics.health.beat()
        self._reload()
        at = now()
        triggers: dict[str, str] = {}
        if time.monotonic() - self.last_watch >= self.policy.watch_every:
            self.last_watch = time.monotonic()
            for name in self.schedule.changed_files({k: v[1] for k, v in self.checks.items()}):
                triggers[name] = "change"
        for name in self.schedule.due(at):
            triggers.setdefault(name, "schedule")
        if self.sensor_news.is_set() and time.monotonic() - self.last_sensor_run >= self.policy.sensors_debounce:
            self.sensor_news.clear()
            self.last_sensor_run = time.monotonic()
            for name, source in self.schedule.sources.items():
                if source.kind == "sensors":
                    triggers.setdefault(name, "sensors")
        for name, (_attempt, when) in list(self.state.retries.items()):
            if datetime.fromisoformat(when) <= at:
                triggers.setdefault(name, "retry")
        if triggers:
            self.execute(triggers, "+".join(sorted(set(triggers.values()))))
        if self.sensors is not None:
            self.sensors.sample()
        self._freshness(now())
        self._audit()

    def _reload(self) -> None:
        stamp = self._config_stamp()
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self.policy = self._policy()
            sources = sources_of(self.ws.root, self.ws.entries(), self.policy)
        except TerritoriaError as exc:  # keep the last good configuration; say what is wrong
            self.alerts.set("step_failed", "configuration", exc.message)
            return
        self.alerts.set("step_failed", "configuration", None)
        self.alerts.policy = self.policy.alerts
        self.schedule.sources = sources
        self.producible = set(build_plan(self.ws).producers)
        self.schedule.start({k: v[0] for k, v in self.checks.items()}, now())
        log.info("configuration reloaded", extra={"event": "config.reloaded", "sources": len(sources)})

    # -- runs ----------------------------------------------------------------------------------
    def execute(self, triggers: dict[str, str], trigger: str, extra: list[str] | None = None) -> RunSummary | None:
        if not triggers and not extra:
            return None
        only = [*(n for n in triggers if n in self.producible), *(extra or [])]
        if not only:
            return None
        self.metrics.health.running = trigger
        started = time.perf_counter()
        reads_sensors = any(self.schedule.sources[n].kind == "sensors" for n in triggers if n in self.schedule.sources)
        hold = self.sensors.quiet() if self.sensors is not None and reads_sensors else nullcontext()
        try:
            with self.ws.engine() as engine, hold:
                summary = run_pipeline(self.ws, engine, only=only, check_all=True, command=f"up:{trigger}")
                self.checks = source_checks(engine)
                self.metrics.store_bytes.set(engine.capabilities.store_size(self.ws.store_dir))
        except WorkspaceLockedError:
            log.info("workspace busy (a run or a backup): triggers wait", extra={"event": "run.deferred"})
            return None  # the due times are unchanged: the next tick tries again
        except TerritoriaError as exc:
            self.metrics.runs.labels(trigger, "error").inc()
            self.alerts.set("step_failed", "run", exc.message)
            log.error("run refused: %s", exc.message, extra={"event": "run.error", "hint": exc.hint})
            for name in triggers:
                self.schedule.checked(name, now(), scheduled=False)
            return None
        finally:
            self.metrics.health.running = None
        self.alerts.set("step_failed", "run", None)
        self._account(summary, triggers, trigger, time.perf_counter() - started)
        self.state.save(self.ws.private)
        return summary

    def _account(self, summary: RunSummary, triggers: dict[str, str], trigger: str, wall: float) -> None:
        m = self.metrics
        m.runs.labels(trigger, summary.status).inc()
        m.run_seconds.labels(trigger).observe(wall)
        m.energy.inc(float((summary.footprint.get("energy_wh") or {}).get("value") or 0.0))
        m.missed.set(self.schedule.missed)
        m.health.published = summary.publication is not None or m.health.published
        ran = []
        for rec in summary.records:
            m.step(rec)
            if rec.status == "success":
                ran.append(rec.step)
            self._step_alerts(rec)
        at = now()
        for name, why in triggers.items():
            ingest = next((r for r in summary.records if r.step == f"ingest:{name}"), None)
            if ingest is not None and ingest.status == "failed" and ingest.report.get("transient"):
                self._retry(name, ingest.error or "")
                continue
            self.state.retries.pop(name, None)
            if name in self.schedule.sources:
                self.schedule.checked(name, at, scheduled=why == "schedule")
        warnings = summary.footprint.get("warnings") or []
        self.alerts.set("footprint", "run", "; ".join(warnings) if warnings else None)
        m.health.last_run = {"run_id": summary.run_id, "status": summary.status, "trigger": trigger, "ran": ran}
        log.info(
            "run %s %s (%s): %d ran, %d unchanged, %d failed",
            summary.run_id,
            summary.status,
            trigger,
            summary.count("success"),
            summary.count("skipped"),
            len(summary.failed),
            extra={
                "event": "run.finished",
                "run_id": summary.run_id,
                "status": summary.status,
                "trigger": trigger,
                "ran": ran,
                "failed": {r.step: (r.error or "")[:300] for r in summary.failed},
                "wall_s": round(wall, 3),
                "sources": sorted(triggers),
            },
        )

    def _step_alerts(self, rec: Any) -> None:
        if rec.status == "failed":
            self.alerts.set("step_failed", rec.step, rec.error or "failed")
        elif rec.status in ("success", "skipped"):
            self.alerts.set("step_failed", rec.step, None)
        if rec.kind == "ingest" and rec.status == "success" and rec.rows_in:
            rate = rec.rows_quarantined / rec.rows_in
            limit = self.policy.alerts.quarantine_rate
            share = f"{rec.rows_quarantined} of {counted(rec.rows_in, 'row')}"
            too_many = f"{share} quarantined ({rate:.1%}, limit {limit:.1%})"
            self.alerts.set("quarantine", rec.step, too_many if rate > limit else None)

    def _retry(self, name: str, error: str) -> None:
        attempt = int(self.state.retries.get(name, [0, ""])[0]) + 1
        retry = self.policy.retry
        if attempt >= retry.attempts:
            self.state.retries.pop(name, None)
            self.schedule.checked(name, now(), scheduled=False)
            log.warning(
                "%s still failing after %d attempts: %s", name, attempt, error, extra={"event": "retry.gave_up"}
            )
            return
        delay = min(retry.base * 2 ** (attempt - 1), retry.max)
        self.state.retries[name] = [attempt, (now() + timedelta(seconds=delay)).isoformat()]
        self.metrics.retries.inc()
        log.info("%s failed transiently, retry %d in %.0fs", name, attempt, delay, extra={"event": "retry.scheduled"})

    # -- watched conditions --------------------------------------------------------------------
    def _freshness(self, at: datetime) -> None:
        alerts = self.policy.alerts
        for name, source in self.schedule.sources.items():
            checked = self.checks.get(name, (None, None))[0]
            if checked is None:
                continue  # never checked: its input is missing (status says so), nothing is late yet
            period = source.period(checked)
            age = at - checked
            self.metrics.age.labels(name).set(age.total_seconds())
            self.metrics.period.labels(name).set(period.total_seconds())
            self.metrics.lag.labels(name).set(max(0.0, (age - period).total_seconds()))
            limit = alerts.max_age.get(name, period.total_seconds() * (1 + alerts.late_grace))
            late = age.total_seconds() > limit
            message = (
                f"{name} was last checked {checked:%Y-%m-%d %H:%M:%S} UTC, {_human(age)} ago; "
                f"it is expected every {_human(period)} (limit {_human(timedelta(seconds=limit))})"
            )
            self.alerts.set("late", name, message if late else None)

    def _audit(self) -> None:
        if time.monotonic() - self.last_audit < self.policy.alerts.audit_every:
            return
        self.last_audit = time.monotonic()
        result = AuditLog(AccessStore(self.ws.private / ACCESS_DB)).verify()
        self.alerts.set("audit", "access-log", None if result.ok else "; ".join(result.problems[:5]))


def _human(span: timedelta) -> str:
    s = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.1f} {unit}"
    return f"{s} s"


__all__ = ["TICK_S", "Supervisor"]
