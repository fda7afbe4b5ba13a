"""Prometheus metrics of one supervised workspace (``GET /metrics``).

One ``CollectorRegistry`` per supervisor (not the library's global one: two workspaces in one
test process keep their own counts). Counters move when a run or a listener flush ends;
freshness gauges are recomputed on every supervisor tick.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from territoria.ledger import StepRecord

STEP_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
RUN_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


@dataclass
class Health:
    """What ``/healthz`` and ``/readyz`` answer from."""

    started: float = field(default_factory=time.monotonic)
    #: the supervisor loop's last turn (monotonic): a stuck loop is not healthy
    heartbeat: float = field(default_factory=time.monotonic)
    stopping: bool = False
    published: bool = False
    #: ``None`` when the workspace has no sensor broker to listen to
    mqtt_connected: bool | None = None
    running: str | None = None
    last_run: dict[str, Any] = field(default_factory=dict)

    def beat(self) -> None:
        self.heartbeat = time.monotonic()


class Observatory:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.health = Health()
        self.lock = threading.Lock()
        r = self.registry
        self.runs = Counter("territoria_runs", "Runs started by the supervisor", ["trigger", "status"], registry=r)
        self.run_seconds = Histogram(
            "territoria_run_duration_seconds", "Wall time of runs", ["trigger"], buckets=RUN_BUCKETS, registry=r
        )
        self.steps = Counter("territoria_steps", "Steps by outcome", ["step", "kind", "status"], registry=r)
        self.step_seconds = Histogram(
            "territoria_step_duration_seconds",
            "Wall time of steps run",
            ["kind"],
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self.step_failures = Counter("territoria_step_failures", "Failed or blocked steps", ["step"], registry=r)
        self.rows = Counter("territoria_rows_written", "Rows written by steps that ran", ["step"], registry=r)
        self.quarantined = Counter("territoria_rows_quarantined", "Rows set aside by validation", ["step"], registry=r)
        self.age = Gauge("territoria_source_age_seconds", "Since a source was last checked", ["dataset"], registry=r)
        self.period = Gauge(
            "territoria_source_period_seconds",
            "Expected period of a source",
            ["dataset"],
            registry=r,
        )
        self.lag = Gauge(
            "territoria_source_freshness_lag_seconds",
            "How far past its expected period a source is (0 when fresh)",
            ["dataset"],
            registry=r,
        )
        self.missed = Gauge("territoria_schedule_missed", "Scheduled checks started over a minute late", registry=r)
        self.retries = Counter("territoria_retries", "Runs retried after a transient failure", registry=r)
        self.mqtt_messages = Counter("territoria_mqtt_messages", "MQTT messages stored or set aside", registry=r)
        self.mqtt_stored = Counter("territoria_mqtt_observations_stored", "New sensor observations", registry=r)
        self.mqtt_duplicates = Counter("territoria_mqtt_duplicates", "Repeated uplinks ignored", registry=r)
        self.mqtt_queue = Gauge("territoria_mqtt_queue_depth", "Messages received, not yet stored", registry=r)
        self.mqtt_lag = Gauge(
            "territoria_mqtt_lag_seconds", "Wait of the oldest message of the last flush before storage", registry=r
        )
        self.mqtt_up = Gauge("territoria_mqtt_connected", "1 while connected to the broker", registry=r)
        self.energy = Counter("territoria_footprint_energy_wh", "Energy of runs (central estimate)", registry=r)
        self.store_bytes = Gauge("territoria_store_bytes", "Size of the store", registry=r)
        self.alerts = Gauge("territoria_alerts_firing", "Alerts in force", ["kind", "subject"], registry=r)
        self.notify_failures = Counter("territoria_alert_notifications_failed", "Undelivered notifications", registry=r)

    def step(self, rec: StepRecord) -> None:
        self.steps.labels(rec.step, rec.kind, rec.status).inc()
        if rec.status in ("failed", "blocked"):
            self.step_failures.labels(rec.step).inc()
        if rec.status == "success":
            self.step_seconds.labels(rec.kind).observe(rec.wall_s)
            self.rows.labels(rec.step).inc(rec.rows_out)
            self.quarantined.labels(rec.step).inc(rec.rows_quarantined)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


__all__ = ["Health", "Observatory"]
