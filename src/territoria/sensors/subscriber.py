"""A lean MQTT 5 subscriber on a plain socket: one thread reads, parses and hands over messages.

Why not paho: at tens of thousands of messages per second its pure-Python reading (several
``recv`` calls, a packet object and a callback per message) costs as much as storing them. Here
one ``recv`` of up to 1 MiB is parsed in one pass (``mqttwire.Parser``) and every message it held
goes to ``on_messages`` in one call.

Acknowledgements are the caller's: ``ack(generation, packet_ids)`` sends the PUBACKs (one
``sendall``) only if the connection that delivered those messages is still the current one: a
packet id means nothing on another connection, and the broker re-delivers on the new one what
the old one did not acknowledge. The connection is re-established on any failure (refused,
reset, silent broker past the keepalive, malformed packet) with a bounded back-off; the session
is persistent (``clean_start`` false, a session expiry) so nothing queued is lost meanwhile.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from territoria.sensors import mqttwire as wire

Messages = list[tuple[int, str, bytes]]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    keepalive: int = 30
    session_expiry: int = 7 * 24 * 3600
    receive_maximum: int = 65535


class ConnectionLost(Exception):
    """The current connection is over; the reader reconnects."""


class Subscriber:
    def __init__(
        self,
        endpoint: Endpoint,
        subscriptions: list[tuple[str, int]],
        on_messages: Callable[[int, Messages], None],
        *,
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[str], None] | None = None,
        reconnect_delay: tuple[float, float] = (1.0, 5.0),
        read_size: int = 1 << 20,
    ) -> None:
        self.endpoint = endpoint
        self.subscriptions = subscriptions
        self.on_messages = on_messages
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.reconnect_delay = reconnect_delay
        self.read_size = read_size
        #: increases with every connection; messages carry the one that delivered them
        self.generation = 0
        self.connected = False
        self.last_error: str | None = None
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._last_sent = 0.0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the caller's side ----------------------------------------------------------------------
    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="territoria-mqtt-reader", daemon=True)
        self._thread.start()

    def ack(self, generation: int, packet_ids: list[int]) -> bool:
        """PUBACK ``packet_ids`` if ``generation`` is still the live connection; False otherwise."""
        ids = [pid for pid in packet_ids if pid]
        if not ids:
            return True
        with self._send_lock:
            if generation != self.generation or not self.connected or self._sock is None:
                return False
            try:
                self._sock.sendall(wire.pubacks(ids))
            except OSError:
                return False  # the reader sees the broken socket and reconnects
            self._last_sent = time.monotonic()
            return True

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect normally (the session and its unacknowledged messages stay on the broker)."""
        self._stopping.set()
        with self._send_lock:
            sock = self._sock
            if sock is not None and self.connected:
                with contextlib.suppress(OSError):
                    sock.sendall(wire.DISCONNECT_PACKET)
        self._shutdown(sock)
        if self._thread is not None:
            self._thread.join(timeout)

    def kill(self) -> None:
        """Drop the connection without a DISCONNECT, as a crash would (tests)."""
        self._stopping.set()
        self._shutdown(self._sock)
        if self._thread is not None:
            self._thread.join(10)

    @staticmethod
    def _shutdown(sock: socket.socket | None) -> None:
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked in recv

    # -- the reader thread ------------------------------------------------------------------------
    def _run(self) -> None:
        delay = self.reconnect_delay[0]
        while not self._stopping.is_set():
            try:
                self._session()
                delay = self.reconnect_delay[0]
            except (OSError, ConnectionLost, wire.MalformedPacket) as exc:
                self.last_error = str(exc) or type(exc).__name__
            except Exception as exc:  # a failing on_messages must not end the reader: reconnect, re-delivered
                self.last_error = f"{type(exc).__name__}: {exc}"
            finally:
                self._drop()
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.reconnect_delay[1])

    def _drop(self) -> None:
        with self._send_lock:
            was, self.connected = self.connected, False
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        if was and self.on_disconnect:
            self.on_disconnect(self.last_error or "disconnected")

    def _session(self) -> None:
        ep = self.endpoint
        sock = socket.create_connection((ep.host, ep.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._send_lock:
            self._sock = sock
        parser = wire.Parser()
        sock.sendall(
            wire.connect_packet(
                ep.client_id,
                keepalive=ep.keepalive,
                session_expiry=ep.session_expiry,
                receive_maximum=ep.receive_maximum,
                username=ep.username,
                password=ep.password,
            )
        )
        early = self._connack(sock, parser)
        with self._send_lock:
            self.generation += 1
            self.connected = True
            sock.sendall(wire.subscribe_packet(1, self.subscriptions))
            self._last_sent = time.monotonic()
        self.last_error = None
        if self.on_connect:
            self.on_connect()
        if early:
            self.on_messages(self.generation, early)
        self._read(sock, parser)

    def _connack(self, sock: socket.socket, parser: wire.Parser) -> Messages:
        while True:
            data = sock.recv(self.read_size)
            if not data:
                raise ConnectionLost("the broker closed the connection before CONNACK")
            messages, controls = parser.feed(data)
            if not controls:
                continue
            first = controls[0]
            if first.kind != wire.CONNACK:
                raise wire.MalformedPacket(f"expected CONNACK, got packet type {first.kind}")
            if first.reasons[0] >= 0x80:
                raise ConnectionLost(f"connection refused: reason code 0x{first.reasons[0]:02x}")
            self._handle(controls[1:])
            return messages  # a broker may send queued messages right after CONNACK, in the same read

    def _read(self, sock: socket.socket, parser: wire.Parser) -> None:
        keepalive = self.endpoint.keepalive
        sock.settimeout(min(1.0, keepalive / 2))
        last_heard = time.monotonic()
        while not self._stopping.is_set():
            try:
                data = sock.recv(self.read_size)
            except TimeoutError:
                data = None
            now = time.monotonic()
            if data == b"":
                raise ConnectionLost("the broker closed the connection")
            if data:
                last_heard = now
                messages, controls = parser.feed(data)
                if controls:
                    self._handle(controls)
                if messages:
                    self.on_messages(self.generation, messages)
            elif now - last_heard > 1.5 * keepalive:
                raise ConnectionLost(f"nothing from the broker for {1.5 * keepalive:.0f} s")
            if now - self._last_sent > keepalive / 2:
                with self._send_lock:
                    sock.sendall(wire.PINGREQ_PACKET)
                    self._last_sent = now

    def _handle(self, controls: list[wire.Control]) -> None:
        for c in controls:
            if c.kind == wire.SUBACK and any(code >= 0x80 for code in c.reasons):
                self.last_error = f"subscription refused: reason codes {[hex(r) for r in c.reasons]}"
            elif c.kind == wire.DISCONNECT:
                raise ConnectionLost(f"the broker disconnected us: reason code 0x{c.reasons[0]:02x}")
            elif c.kind == wire.CONNACK:
                raise wire.MalformedPacket("a second CONNACK on the same connection")
