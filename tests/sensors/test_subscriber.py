"""The lean MQTT subscriber: its packet parser, and its behaviour against a real Mosquitto."""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from territoria.sensors import durable as durable_module
from territoria.sensors import mqttwire as wire
from territoria.sensors.broker import PrivateBroker
from territoria.sensors.ingest import Ingestor
from territoria.sensors.mqtt import Listener
from territoria.sensors.registry import Registry
from territoria.sensors.store import SensorStore
from territoria.sensors.subscriber import Endpoint, Messages, Subscriber

from .conftest import Mosquitto
from .test_mqtt import acked, assert_redelivered_once, publisher, running, stored, uplinks, wait_for


def publish_packet(topic: str, payload: bytes, packet_id: int = 0, props: bytes = b"") -> bytes:
    qos = 1 if packet_id else 0
    body = struct.pack(">H", len(topic.encode())) + topic.encode()
    body += struct.pack(">H", packet_id) if qos else b""
    body += wire.varint(len(props)) + props + payload
    return bytes(((wire.PUBLISH << 4) | (qos << 1),)) + wire.varint(len(body)) + body


# -- the parser ---------------------------------------------------------------------------------
def test_many_packets_in_any_cut_of_the_stream_parse_the_same() -> None:
    sent = [(i % 65535 + 1, f"application/a/device/{i:016x}/event/up", b"x" * (i % 300)) for i in range(2000)]
    sent.append((9, "big/one", b"y" * 20_000))  # a remaining length on three bytes
    sent.append((0, "qos0/topic", b"{}"))  # QoS 0: no packet id
    sent.append((7, "with/properties", b"p"))
    stream = b"".join(publish_packet(t, p, pid) for pid, t, p in sent[:-1])
    stream += publish_packet("with/properties", b"p", 7, props=b"\x01\x01")  # payload format indicator
    stream += wire.PINGREQ_PACKET.replace(b"\xc0", b"\xd0")  # a PINGRESP among them
    for cut in (1, 3, 127, 4096, len(stream)):
        parser = wire.Parser()
        got: Messages = []
        controls: list[wire.Control] = []
        for start in range(0, len(stream), cut):
            messages, ctl = parser.feed(stream[start : start + cut])
            got.extend(messages)
            controls.extend(ctl)
        assert got == sent, cut
        assert [c.kind for c in controls] == [wire.PINGRESP]
        assert not parser.buffer


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (b"\x34\x05\x00\x01a\x00\x01\x00", "QoS 2"),
        (b"\x32\x04\x00\x09ab", "runs past the end"),
        (b"\x32\x06\x00\x01a\x00\x00\x00", "packet id 0"),
        (b"\x30\x05\x00\x02\xff\xfe\x00", "not UTF-8"),
        (b"\x30\x05\x00\x01a\x09x", "properties run past"),
        (b"\x30\xff\xff\xff\xff\x01", "4 bytes"),
        (b"\x30\xff\xff\xff\x7f", "over the"),
        (b"\x60\x02\x00\x01", "unexpected packet type 6"),
        (b"\x20\x01\x00", "CONNACK too short"),
    ],
)
def test_malformed_packets_are_refused_with_the_reason(packet: bytes, reason: str) -> None:
    with pytest.raises(wire.MalformedPacket, match=reason):
        wire.Parser().feed(packet)


def test_connect_packet_carries_the_persistent_session() -> None:
    packet = wire.connect_packet("me", keepalive=30, session_expiry=3600, username="u", password="p")
    messages, _ = wire.Parser().feed(b"")
    assert not messages
    assert packet[0] == 0x10 and packet[2:9] == b"\x00\x04MQTT\x05"
    assert packet[9] == 0x80 | 0x40  # username and password, clean start off
    assert b"\x11\x00\x00\x0e\x10" in packet and packet.endswith(b"\x00\x01u\x00\x01p")
    assert wire.pubacks([1, 65535]) == b"\x40\x02\x00\x01\x40\x02\xff\xff"


# -- against a real broker ---------------------------------------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[int, int, str, bytes]] = []

    def __call__(self, generation: int, messages: Messages) -> None:
        with self.lock:
            self.messages.extend((generation, pid, t, p) for pid, t, p in messages)

    def payloads(self) -> list[bytes]:
        with self.lock:
            return [p for _g, _pid, _t, p in self.messages]


@pytest.mark.slow
def test_reconnects_and_unacknowledged_messages_come_back(broker: Mosquitto) -> None:
    inbox = Inbox()
    endpoint = Endpoint("127.0.0.1", broker.port, "test-sub-reconnect", keepalive=5)
    sub = Subscriber(endpoint, [("t/#", 1)], inbox, reconnect_delay=(0.1, 0.5))
    sub.start()
    wait_for(lambda: sub.connected, 10, "the subscriber to connect")
    time.sleep(0.3)  # the SUBACK
    pub = publisher(broker.port)
    for i in range(100):
        pub.publish(f"t/{i % 3}", str(i).encode(), qos=1)
    wait_for(lambda: len(inbox.messages) == 100, 10, "the messages")
    first = inbox.messages[:]
    assert {p for *_, p in first} == {str(i).encode() for i in range(100)}
    generation = first[0][0]
    assert sub.ack(generation, [pid for _g, pid, _t, p in first if int(p) < 50])  # half acknowledged
    time.sleep(0.3)
    broker.stop()
    wait_for(lambda: not sub.connected, 10, "the subscriber to notice the broker went away")
    assert not sub.ack(generation, [1])  # nothing can be acknowledged for a dead connection
    broker.start()
    wait_for(lambda: sub.connected and sub.generation > generation, 15, "the subscriber to reconnect")
    wait_for(lambda: len(inbox.messages) >= 150, 15, "the unacknowledged half to be re-delivered")
    time.sleep(0.5)
    again = sorted(int(p) for g, _pid, _t, p in inbox.messages if g > generation)
    assert again == list(range(50, 100))
    sub.stop()
    pub.loop_stop()
    pub.disconnect()
    assert not sub.connected


@pytest.mark.slow
def test_a_broker_sending_malformed_packets_is_dropped_and_reconnected() -> None:
    """A peer that breaks the protocol: the connection is closed (MQTT 5 §4.13), the error kept,
    and the subscriber connects again (a loopback server: Mosquitto never sends bad packets)."""
    server = socket.create_server(("127.0.0.1", 0))
    connects: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                connects.append(conn.recv(4096))
                conn.sendall(b"\x20\x03\x00\x00\x00")  # CONNACK, success
                conn.recv(4096)  # SUBSCRIBE
                conn.sendall(publish_packet("ok", b"1", 1) + b"\x34\x05\x00\x01a\x00\x01\x00")  # then QoS 2
                conn.settimeout(5)
                assert conn.recv(4096) == b""  # the subscriber hung up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    inbox = Inbox()
    sub = Subscriber(
        Endpoint("127.0.0.1", server.getsockname()[1], "bad"), [("#", 1)], inbox, reconnect_delay=(0.1, 0.1)
    )
    sub.start()
    thread.join(15)
    sub.stop()
    server.close()
    assert len(connects) == 2 and all(c.startswith(b"\x10") for c in connects)
    assert sub.last_error is not None and "QoS 2" in sub.last_error
    assert inbox.payloads() == []  # the packet that completed with the bad one was never handed over


@pytest.mark.slow
def test_a_crash_before_the_fsync_acknowledges_nothing(
    wired: tuple[Registry, SensorStore], broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production path (``run``): the first batch's fsync fails, so the run ends with the
    error before any acknowledgement, nothing is stored, and everything is re-delivered once."""
    registry, store = wired
    listener = Listener(registry, store, flush_interval=3600)  # a batch starts when the broker pauses
    errors: list[BaseException] = []

    def power_cut(path: object, directory: bool = False) -> None:
        raise OSError("power cut")

    def run() -> None:
        try:
            listener.run(threading.Event(), Ingestor(registry, writer))
        except OSError as exc:
            errors.append(exc)

    pub = publisher(broker.port)
    with store.writer() as writer, monkeypatch.context() as patch:
        patch.setattr(durable_module, "_fsync", power_cut)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        wait_for(lambda: listener.state.connected, 10, "the listener to connect")
        time.sleep(0.3)  # the SUBACK
        for t, p in uplinks(200):
            pub.publish(t, p, qos=1)
        thread.join(15)
        assert not thread.is_alive() and [str(e) for e in errors] == ["power cut"]
    assert listener.state.received > 0
    assert stored(store) == []  # nothing under a final name: the batch was never made durable
    assert not list(store.obs_dir.glob("**/.*.tmp"))  # nor any temporary one
    assert_redelivered_once(registry, store, pub, 400)


@pytest.mark.slow
def test_a_failed_commit_in_the_pipeline_ends_the_run_and_acknowledges_nothing_of_it(
    wired: tuple[Registry, SensorStore], broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run`` stages a batch while the previous one is committed: when a commit fails, the run
    ends with the error, what was committed before stays, and the rest is re-delivered once."""
    registry, store = wired
    listener = Listener(registry, store, flush_interval=0.2)
    errors: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        try:
            listener.run(stop, Ingestor(registry, writer))
        except OSError as exc:
            errors.append(exc)

    pub = publisher(broker.port)
    with store.writer() as writer:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        wait_for(lambda: listener.state.connected, 10, "the listener to connect")
        time.sleep(0.3)
        for t, p in uplinks(100):
            pub.publish(t, p, qos=1)
        wait_for(lambda: len(stored(store)) == 200, 10, "the first batch to be stored")

        def power_cut(path: object, directory: bool = False) -> None:
            raise OSError("power cut")

        with monkeypatch.context() as patch:
            patch.setattr(durable_module, "_fsync", power_cut)
            for t, p in uplinks(100, start=100):
                pub.publish(t, p, qos=1)
            thread.join(15)
        assert not thread.is_alive() and [str(e) for e in errors] == ["power cut"]
    assert len(stored(store)) == 200  # the failed batch left no file under a final name
    assert not list(store.obs_dir.glob("**/.*.tmp"))  # nor any temporary one
    assert_redelivered_once(registry, store, pub, 400)


@pytest.mark.slow
def test_a_large_backlog_is_stored_once_in_large_batches(
    wired: tuple[Registry, SensorStore], broker: Mosquitto
) -> None:
    registry, store = wired
    batch = uplinks(20_000)
    with running(registry, store) as listener:
        listener.batch_max = 50_000
        listener.flush_interval = 1.0
        pub = publisher(broker.port)
        for start in range(0, len(batch), 1000):
            for t, p in batch[start : start + 1000]:
                pub.publish(t, p, qos=1)
            wait_for(lambda n=start + 1000: acked(pub) >= n, 30, "the publisher's window")
        wait_for(lambda: len(stored(store)) >= 40_000, 60, "every observation to be stored")
        pub.loop_stop()
        pub.disconnect()
    rows = stored(store)
    assert len(rows) == 40_000 and len(set(rows)) == 40_000
    assert listener.state.received == 20_000


@pytest.mark.slow
def test_credentials_are_sent_and_a_refusal_is_reported(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "territoria", "s3cret"], check=True)
    broker = PrivateBroker(tmp_path / "broker")
    conf = broker.conf.read_text().replace("allow_anonymous true", f"allow_anonymous false\npassword_file {passwords}")
    broker.conf.write_text(conf)
    broker.start()
    try:
        ok = Endpoint("127.0.0.1", broker.port, "auth-ok", username="territoria", password="s3cret")
        ko = Endpoint("127.0.0.1", broker.port, "auth-ko", username="territoria", password="wrong")
        good, bad = Subscriber(ok, [("t", 1)], Inbox()), Subscriber(ko, [("t", 1)], Inbox())
        good.start()
        bad.start()
        wait_for(lambda: good.connected, 10, "the subscriber with the right password to connect")
        wait_for(lambda: bad.last_error is not None, 10, "the refusal")
        assert not bad.connected and "connection refused: reason code 0x8" in str(bad.last_error)
        good.stop()
        bad.stop()
    finally:
        broker.stop()
