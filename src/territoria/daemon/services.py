"""The supervisor's companions in the same process: the MQTT listener and the API server.

Each runs in its own thread and stops when told: the listener stores and acknowledges what it
holds before disconnecting (``sensors/mqtt.py``: nothing acknowledged is lost), the server
finishes the requests in flight.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from territoria.daemon.metrics import Observatory
from territoria.daemon.net import listening_socket
from territoria.sensors.ingest import Ingestor, IngestReport, open_registry, store_for
from territoria.sensors.mqtt import Listener, ListenerState
from territoria.sensors.registry import REGISTRY
from territoria.workspace import Workspace

log = logging.getLogger("territoria.daemon")


class SensorService:
    """The MQTT listener of the workspace's device registry, feeding the sensor store."""

    def __init__(self, ws: Workspace, metrics: Observatory, on_new: Callable[[], None]) -> None:
        self.ws = ws
        self.metrics = metrics
        self.on_new = on_new
        self.stop = threading.Event()
        registry = open_registry(ws.root, ws.private, ws.config.communes)
        self.listener = Listener(registry, store_for(ws.private), on_flush=self._flushed)
        self.seen = IngestReport()
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="territoria-mqtt", daemon=True)

    @staticmethod
    def wanted(ws: Workspace) -> bool:
        return (ws.root / REGISTRY).is_file()

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.listener.store.writer() as writer:
                broker = self.listener.broker
                ingestor = Ingestor(self.listener.registry, writer, max_payload_bytes=broker.max_payload_bytes)
                self.listener.run(self.stop, ingestor)
        except Exception as exc:  # the supervisor goes on without sensors; /readyz and the logs say why
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("the MQTT listener stopped: %s", self.error, extra={"event": "mqtt.error"})

    def _flushed(self, report: IngestReport, state: ListenerState) -> None:
        m = self.metrics
        m.mqtt_messages.inc(report.messages - self.seen.messages)
        m.mqtt_stored.inc(report.stored - self.seen.stored)
        m.mqtt_duplicates.inc(report.duplicates - self.seen.duplicates)
        m.mqtt_lag.set(self.listener.lag)
        new = report.stored > self.seen.stored
        self.seen = IngestReport(**{k: v for k, v in report.as_dict().items() if k != "quarantined"})
        if new:
            self.on_new()

    def quiet(self) -> threading.Lock:
        """Hold it to read the sensor store while nothing writes it (uplinks wait in memory, unacknowledged)."""
        return self.listener.writing

    def sample(self) -> None:
        """Gauges read on each supervisor tick."""
        self.metrics.mqtt_queue.set(self.listener.queue_depth)
        connected = self.listener.state.connected and self.error is None
        self.metrics.mqtt_up.set(1 if connected else 0)
        self.metrics.health.mqtt_connected = connected

    def close(self, timeout: float = 15.0) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


class ApiService:
    """The API (``territoria serve``'s application) with the operations routes fed by ``metrics``."""

    def __init__(self, ws: Workspace, metrics: Observatory, host: str, port: int) -> None:
        import uvicorn

        from territoria.api.app import create_app

        app = create_app(ws.root)
        app.state.operations = metrics
        self.sock = listening_socket(host, port)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_keep_alive=20))
        self.thread = threading.Thread(target=self._run, name="territoria-api", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> None:
        self.thread.start()

    def close(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.sock.close()


__all__ = ["ApiService", "SensorService"]
