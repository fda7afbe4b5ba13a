"""Listen to ChirpStack v4's MQTT integration and store what arrives, exactly once.

Delivery is at-least-once end to end: QoS 1 subscriptions on a persistent MQTT v5 session
(``clean_start=False`` and a session expiry), and **manual acknowledgements sent only after the
batch holding the message is written** to the store. A message the broker delivered but we had
not yet stored when the broker, the network or this process went down is delivered again; the
store's idempotent key (devEui, fCnt, time, datastream) turns those repeats into no-ops.

Messages are batched (``flush_interval`` seconds or ``batch_max`` messages, whichever first): the
store writes one Parquet file per (month, datastream) per batch, and compacts them as it goes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from territoria.core.errors import ConfigError
from territoria.sensors.ingest import Ingestor, IngestReport
from territoria.sensors.registry import Broker, Registry
from territoria.sensors.store import SensorStore

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
        self._pending: list[tuple[int, int, str, bytes]] = []
        self._generation = 0
        self.client = self._client()

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.broker.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if self.broker.username:
            password = os.environ.get(self.broker.password_env or "", None) if self.broker.password_env else None
            if self.broker.password_env and password is None:
                raise ConfigError(
                    f"the broker password variable {self.broker.password_env} is not set",
                    hint=f"export {self.broker.password_env}=... before `territoria sensors listen`",
                )
            client.username_pw_set(self.broker.username, password)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            self.state.last_error = f"connection refused: {reason}"
            return
        self.state.connected = True
        self.state.connections += 1
        client.subscribe([(t, 1) for t in topics(self.broker.application_id)])

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        with self._lock:
            # Packet ids of this connection mean nothing on the next one: what we hold will be
            # stored, and the broker re-sends it, which the store recognises as a repeat.
            self._generation += 1
        self.state.connected = False
        self.state.last_error = f"disconnected: {reason}"

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._pending.append((self._generation, message.mid, message.topic, bytes(message.payload)))
            full = len(self._pending) >= self.batch_max
        self.state.received += 1
        if full:
            self._wake.set()

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho ships no annotations here
        props.SessionExpiryInterval = self.broker.session_expiry_s
        props.ReceiveMaximum = 65535
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()

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
            self.client.disconnect()
            self.client.loop_stop()
        return ingestor.report

    def flush(self, ingestor: Ingestor) -> int:
        with self._lock:
            taken, self._pending = self._pending, []
            generation = self._generation
        if not taken:
            return 0
        ingestor.ingest([(topic, payload) for _g, _m, topic, payload in taken])
        for gen, mid, _t, _p in taken:
            if gen == generation and mid:
                self.client.ack(mid, 1)
        if self.on_flush:
            self.on_flush(ingestor.report, self.state)
        return len(taken)


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
