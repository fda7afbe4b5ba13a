"""Listen to ChirpStack v4's MQTT integration and store what arrives, exactly once.

Delivery is at-least-once end to end: QoS 1 subscriptions on a persistent MQTT v5 session
(``clean_start=False`` and a session expiry), and **manual acknowledgements sent only after the
batch holding the message is written** to the store. A message the broker delivered but we had
not yet stored when the broker, the network or this process went down is delivered again; the
store's idempotent key (devEui, fCnt, time, datastream) turns those repeats into no-ops.

Messages are batched: a batch starts when ``batch_max`` messages are pending, when the broker
pauses (its backlog drained, or its window of unacknowledged messages full) or after
``flush_interval``, and holds at most ``batch_max`` messages, so that acknowledgements flow back
while a large backlog drains (the broker sends at most the receive maximum, 65,535, before it
waits for them). The store writes one Parquet file per month per batch, and compacts them as it
goes. A batch is normalised and staged while the previous one is being made durable.
The MQTT client is ``sensors/subscriber.py`` (not paho: see there why).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from territoria.core.errors import ConfigError
from territoria.sensors.ingest import Ingestor, IngestReport, Pending
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
        pause: float = 0.05,
        on_flush: Callable[[IngestReport, ListenerState], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.broker = broker or registry.config.broker
        self.flush_interval = flush_interval
        self.batch_max = batch_max
        self.pause = pause
        #: held while the listener changes the store's files (commits, compaction): hold it to read
        #: the store while nothing rewrites it (messages then wait in memory, unacknowledged)
        self.writing = threading.Lock()
        #: seconds the oldest message of the last stored batch waited before it was on disk
        self.lag = 0.0
        self.on_flush = on_flush
        self.state = ListenerState()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        #: (connection generation, messages with their packet ids) of each read, in arrival order
        self._pending: list[tuple[int, Messages]] = []
        self._queued = 0
        #: monotonic times of the first and the last message pending
        self._first = self._last = 0.0
        #: monotonic time of each pending read
        self._arrived: list[float] = []
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
        now = time.monotonic()
        with self._lock:
            if not self._pending:
                self._first = now
            self._last = now
            self._pending.append((generation, messages))
            self._arrived.append(now)
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
        """Ingest until ``stop`` is set; the caller owns the store writer inside ``ingestor``.

        Two stages: this thread normalises a batch and writes its files under temporary names
        while a committer thread makes the previous batch durable (fsyncs, which release the GIL,
        and the aggregates) and only then acknowledges it. One batch is committed at a time, in
        order; if a commit fails, the batch staged behind it is discarded, nothing of either is
        acknowledged, and the error ends the run (the broker re-delivers both)."""
        self.connect()
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="territoria-commit") as committer:
                committing: Future[None] | None = None
                while not stop.is_set():
                    self._wait_for_batch(stop, committing)
                    committing = self._pipeline(ingestor, committer, committing)
                left = self._queued  # what arrived before the stop, in batches of at most batch_max
                while left > 0:
                    committing = self._pipeline(ingestor, committer, committing)
                    left -= self.batch_max
                if committing is not None:
                    committing.result()
        finally:
            self.client.stop()
        return ingestor.report

    def _wait_for_batch(self, stop: threading.Event, committing: Future[None] | None) -> None:
        """Until ``batch_max`` messages are pending, or some are and the broker has paused for
        ``pause`` seconds (its backlog is drained, or it waits for our acknowledgements), or the
        first of them has waited ``flush_interval``; or until the batch being committed is done
        (a failure must end the run, not wait for the next message)."""
        while not stop.is_set() and (committing is None or not committing.done()):
            now = time.monotonic()
            with self._lock:
                queued, first, last = self._queued, self._first, self._last
            paused = now - last >= self.pause or now - first >= self.flush_interval
            if queued >= self.batch_max or (queued and paused):
                return
            self._wake.wait(self.pause)
            self._wake.clear()

    def _pipeline(
        self, ingestor: Ingestor, committer: ThreadPoolExecutor, committing: Future[None] | None
    ) -> Future[None] | None:
        """Stage what arrived (while ``committing`` runs), then hand it to the committer."""
        taken, first = self._take(self.batch_max)
        pending = ingestor.stage(self._messages(taken)) if taken else None
        if committing is not None:
            try:
                committing.result()
            except BaseException:
                if pending is not None:
                    ingestor.discard(pending)
                raise
        if ingestor.compaction_due:
            with self.writing:
                ingestor.compact()  # nothing is being committed now
        if pending is None:
            return None
        return committer.submit(self._commit, ingestor, pending, taken, first)

    def _take(self, limit: int) -> tuple[list[tuple[int, Messages]], float]:
        """The pending reads (whole reads, up to ``limit`` messages), and when the first of them
        arrived."""
        with self._lock:
            cut = count = 0
            for cut, (_g, messages) in enumerate(self._pending, 1):  # noqa: B007 (used after the loop)
                count += len(messages)
                if count >= limit:
                    break
            taken, self._pending = self._pending[:cut], self._pending[cut:]
            self._queued -= count
            first = self._first
            if self._pending:
                self._first = self._arrived[cut]
            self._arrived = self._arrived[cut:]
            return taken, first

    @staticmethod
    def _messages(taken: list[tuple[int, Messages]]) -> list[tuple[str, bytes]]:
        return [(topic, payload) for _g, messages in taken for _pid, topic, payload in messages]

    def _commit(self, ingestor: Ingestor, pending: Pending, taken: list[tuple[int, Messages]], first: float) -> None:
        with self.writing:
            ingestor.commit(pending)
        self.lag = time.monotonic() - first
        # Only now is the batch on disk (``commit`` returns after the fsync): acknowledge it.
        by_generation: dict[int, list[int]] = {}
        for generation, messages in taken:
            by_generation.setdefault(generation, []).extend([m[0] for m in messages])
        for generation, ids in by_generation.items():
            self.client.ack(generation, ids)
        if self.on_flush:
            self.on_flush(ingestor.report, self.state)


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
