"""Listen to ChirpStack v4's MQTT integration and store what arrives, exactly once.

Delivery is at-least-once end to end: QoS 1 subscriptions on a persistent MQTT v5 session
(``clean_start=False`` and a session expiry), and **manual acknowledgements sent only after the
batch holding the message is written** to the store. A message the broker delivered but we had
not yet stored when the broker, the network or this process went down is delivered again; the
store's idempotent key (devEui, fCnt, time, datastream) turns those repeats into no-ops.

Messages are batched (``flush_interval`` seconds or ``batch_max`` messages, whichever first): the
store writes one Parquet file per (month, datastream) per batch, and compacts them as it goes.
The MQTT client is ``sensors/subscriber.py`` (not paho: see there why).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from territoria.core.errors import ConfigError
from territoria.sensors.ingest import Ingestor, IngestReport
from territoria.sensors.registry import Broker, Registry
from territoria.sensors.store import SensorStore
from territoria.sensors.subscriber import Endpoint, Messages, Subscriber

EVENTS = ("up", "status", "log")


def topics(application_id: str) -> list[str]:
    return [f"application/{application_id}/device/+/event/{event}" for event in EVENTS]


@dataclass
class ListenerState:
    connected: bool = False
    connections: int = 0
    received: int = 0
    last_error: str | None = None


class Listener:
    def __init__(
        self,
        registry: Registry,
        store: SensorStore,
        broker: Broker | None = None,
        *,
        flush_interval: float = 0.5,
        batch_max: int = 20_000,
        on_flush: Callable[[IngestReport, ListenerState], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.broker = broker or registry.config.broker
        self.flush_interval = flush_interval
        self.batch_max = batch_max
        self.on_flush = on_flush
        self.state = ListenerState()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        #: (connection generation, messages with their packet ids) of each read, in arrival order
        self._pending: list[tuple[int, Messages]] = []
        self._queued = 0
        self.client = self._client()

    def _client(self) -> Subscriber:
        password = None
        if self.broker.username and self.broker.password_env:
            password = os.environ.get(self.broker.password_env)
            if password is None:
                raise ConfigError(
                    f"the broker password variable {self.broker.password_env} is not set",
                    hint=f"export {self.broker.password_env}=... before `territoria sensors listen`",
                )
        endpoint = Endpoint(
            self.broker.host,
            self.broker.port,
            self.broker.client_id,
            username=self.broker.username,
            password=password,
            session_expiry=self.broker.session_expiry_s,
        )
        return Subscriber(
            endpoint,
            [(t, 1) for t in topics(self.broker.application_id)],
            self._on_messages,
            on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
        )

    def _on_connect(self) -> None:
        self.state.connected = True
        self.state.connections += 1

    def _on_disconnect(self, reason: str) -> None:
        self.state.connected = False
        self.state.last_error = f"disconnected: {reason}"

    def _on_messages(self, generation: int, messages: Messages) -> None:
        with self._lock:
            self._pending.append((generation, messages))
            self._queued += len(messages)
            full = self._queued >= self.batch_max
        self.state.received += len(messages)
        if full:
            self._wake.set()

    @property
    def queue_depth(self) -> int:
        return self._queued

    def connect(self) -> None:
        self.client.start()

    def run(self, stop: threading.Event, ingestor: Ingestor) -> IngestReport:
        """Ingest until ``stop`` is set; the caller owns the store writer inside ``ingestor``."""
        self.connect()
        try:
            while not stop.is_set():
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                self.flush(ingestor)
            self.flush(ingestor)
        finally:
            self.client.stop()
        return ingestor.report

    def flush(self, ingestor: Ingestor) -> int:
        with self._lock:
            taken, self._pending = self._pending, []
            self._queued = 0
        if not taken:
            return 0
        ingestor.ingest([(topic, payload) for _g, messages in taken for _pid, topic, payload in messages])
        # Only now is the batch on disk (``ingest`` returns after the fsync): acknowledge it.
        by_generation: dict[int, list[int]] = {}
        for generation, messages in taken:
            by_generation.setdefault(generation, []).extend(pid for pid, _t, _p in messages)
        for generation, ids in by_generation.items():
            self.client.ack(generation, ids)
        if self.on_flush:
            self.on_flush(ingestor.report, self.state)
        return sum(len(messages) for _g, messages in taken)


def listen(
    registry: Registry,
    store: SensorStore,
    stop: threading.Event,
    *,
    broker: Broker | None = None,
    seconds: float | None = None,
    on_flush: Callable[[IngestReport, ListenerState], None] | None = None,
) -> IngestReport:
    """Run a listener with its own store writer until ``stop`` is set (or ``seconds`` elapse)."""
    listener = Listener(registry, store, broker, on_flush=on_flush)
    if seconds is not None:
        timer = threading.Timer(seconds, stop.set)
        timer.daemon = True
        timer.start()
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer, max_payload_bytes=listener.broker.max_payload_bytes)
        started = time.monotonic()
        report = listener.run(stop, ingestor)
        report.seconds = time.monotonic() - started
        return report
