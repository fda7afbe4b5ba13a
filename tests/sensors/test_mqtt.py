"""Against a real Mosquitto: at-least-once delivery made exactly-once in the store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import duckdb
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from territoria.sensors.ingest import Ingestor
from territoria.sensors.mqtt import Listener
from territoria.sensors.registry import Registry
from territoria.sensors.store import SensorStore

from .conftest import DEVICES, Mosquitto, message, topic, uplink

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-publisher", protocol=mqtt.MQTTv5)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    acked: set[int] = set()
    client.user_data_set(acked)
    client.on_publish = lambda c, acked, mid, rc, props: acked.add(mid)
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    return client


def acked(client: mqtt.Client) -> int:
    return len(client.user_data_get())


def stored(store: SensorStore) -> list[tuple[int, int]]:
    files = [str(p) for p in store.obs_files()]
    if not files:
        return []
    return duckdb.sql(f"SELECT datastream, epoch_us(time) FROM read_parquet({files!r})").fetchall()


@contextmanager
def running(registry: Registry, store: SensorStore, **kwargs: float) -> Iterator[Listener]:
    listener = Listener(registry, store, flush_interval=kwargs.get("flush_interval", 0.2))
    stop = threading.Event()
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)
        thread = threading.Thread(target=listener.run, args=(stop, ingestor), daemon=True)
        thread.start()
        wait_for(lambda: listener.state.connected, 10, "the listener to connect")
        time.sleep(0.3)  # the SUBACK
        try:
            yield listener
        finally:
            stop.set()
            thread.join(timeout=15)
            assert not thread.is_alive()


def uplinks(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    euis = list(DEVICES)
    out = []
    for i in range(start, start + count):
        eui = euis[i % len(euis)]
        slot = i // len(euis)
        when = (datetime(2025, 7, 1, tzinfo=UTC) + timedelta(minutes=10 * slot)).isoformat()
        out.append(message(uplink(eui, slot, when, 20 + i % 7, 50, with_object=DEVICES[eui][2] == "EM300")))
    return out


def test_broker_restart_mid_stream_loses_and_duplicates_nothing(
    wired: tuple[Registry, SensorStore], broker: Mosquitto
) -> None:
    registry, store = wired
    batch = uplinks(600)
    with running(registry, store) as listener:
        pub = publisher(broker.port)
        for t, p in batch[:300]:
            pub.publish(t, p, qos=1)
        wait_for(lambda: acked(pub) == 300, 10, "the first half to be published")
        broker.stop()
        wait_for(lambda: not listener.state.connected, 10, "the listener to notice")
        # published while the broker is down: queued by the publisher's session
        for t, p in batch[300:]:
            pub.publish(t, p, qos=1)
        time.sleep(0.5)
        broker.start()
        wait_for(lambda: acked(pub) == 600, 20, "everything to be published")
        wait_for(lambda: len(stored(store)) >= 1200, 20, "every observation to be stored")
        time.sleep(0.5)  # anything re-delivered late would show up now
        assert listener.state.connections >= 2
        pub.loop_stop()
        pub.disconnect()
    rows = stored(store)
    assert len(rows) == 1200 and len(set(rows)) == 1200


def test_listener_crash_before_storing_is_redelivered(wired: tuple[Registry, SensorStore], broker: Mosquitto) -> None:
    registry, store = wired
    batch = uplinks(200)
    crashed = Listener(registry, store, flush_interval=3600)
    crashed.batch_max = 10**9
    crashed.connect()
    wait_for(lambda: crashed.state.connected, 10, "the first listener to connect")
    time.sleep(0.3)
    pub = publisher(broker.port)
    for t, p in batch:
        pub.publish(t, p, qos=1)
    wait_for(lambda: crashed.state.received == 200, 10, "the first listener to receive everything")
    # dies without storing nor acknowledging anything: no DISCONNECT, the socket just goes away
    crashed.client.kill()
    assert_redelivered_once(registry, store, pub, 400)


def assert_redelivered_once(registry: Registry, store: SensorStore, pub: mqtt.Client, expected: int) -> None:
    """A new listener gets what the dead one never acknowledged, and stores each observation once."""
    with running(registry, store):
        wait_for(lambda: len(stored(store)) >= expected, 20, "the re-delivered messages to be stored")
        time.sleep(0.5)
    pub.loop_stop()
    pub.disconnect()
    rows = stored(store)
    assert len(rows) == expected and len(set(rows)) == expected


def test_bad_messages_are_quarantined_and_listening_goes_on(
    wired: tuple[Registry, SensorStore], broker: Mosquitto
) -> None:
    registry, store = wired
    eui = next(iter(DEVICES))
    good = uplink(eui, 1, "2025-07-01T00:00:00Z")
    bad = [
        (topic(eui), b'{"time": '),
        (topic(eui), json.dumps({**good, "fCnt": "one"}).encode()),
        (topic(eui), json.dumps({k: v for k, v in good.items() if k != "data"}).encode()),
        (topic("00000000000000ff"), json.dumps({**good, "deviceInfo": {"devEui": "00000000000000ff"}}).encode()),
        (topic(eui), json.dumps({**good, "junk": "x" * 300_000}).encode()),
    ]
    with running(registry, store) as listener:
        pub = publisher(broker.port)
        for t, p in bad:
            pub.publish(t, p, qos=1)
        for t, p in uplinks(30):
            pub.publish(t, p, qos=1)
        wait_for(lambda: len(stored(store)) >= 60, 15, "the good uplinks after the bad ones")
        assert listener.state.connected
        pub.loop_stop()
        pub.disconnect()
    stats = store.stats()["quarantined"]
    assert stats == {"malformed JSON": 1, "wrong type": 1, "no payload": 1, "unknown device": 1, "payload too large": 1}
