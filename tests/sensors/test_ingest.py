from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from territoria.core.errors import ConfigError, WorkspaceLockedError
from territoria.sensors.ingest import Ingestor, open_registry, read_messages, replay
from territoria.sensors.normalise import Normaliser, parse_time
from territoria.sensors.registry import Registry
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace

from .conftest import APP, message, topic, uplink, write_registry

A, B, REF = "a840410000000001", "a840410000000002", "a840410000000003"


def ingest(registry: Registry, store: SensorStore, messages: list[tuple[str, bytes]]) -> Ingestor:
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer, live=False)
        ingestor.ingest(messages)
        return ingestor


def observations(store: SensorStore) -> list[tuple[int, str, float, int]]:
    files = [str(p) for p in store.obs_files()]
    if not files:
        return []
    return duckdb.sql(
        f"SELECT datastream, strftime(time, '%Y-%m-%dT%H:%M:%S'), result, fcnt FROM read_parquet({files!r}) "
        "ORDER BY ALL"
    ).fetchall()


def test_registry_computes_communes_and_stable_ids(sensor_ws: Workspace, registry: Registry) -> None:
    communes = {p.entry.thing: p.commune for ps in registry.by_eui.values() for p in ps}
    assert communes == {"rennes-centre": "35238", "bruz": "35047", "reference": "35144"}
    again = open_registry(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    assert [d["datastream"] for d in again.datastreams()] == [d["datastream"] for d in registry.datastreams()]


def test_registry_errors_are_clear(sensor_ws: Workspace) -> None:
    write_registry(
        sensor_ws.root, extra=[{"dev_eui": "zz", "thing": "x", "profile": "LHT65", "location": {"lon": 0, "lat": 0}}]
    )
    with pytest.raises(ConfigError, match="dev_eui"):
        open_registry(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)


def test_decode_range_and_units(registry: Registry, store: SensorStore) -> None:
    rep = ingest(
        registry,
        store,
        [
            message(uplink(A, 1, "2025-07-01T00:00:00.123456789+00:00", 21.5, 55.0)),
            message(uplink(B, 1, "2025-07-01T00:00:00Z", 19.0, 60.0, with_object=True)),
        ],
    ).report
    assert rep.stored == 4 and not rep.quarantined
    rows = observations(store)
    assert (1, "2025-07-01T00:00:00", 21.5, 1) in rows
    assert sorted(r[2] for r in rows) == [19.0, 21.5, 55.0, 60.0]


def test_dedup_survives_restart_and_fcnt_reset(registry: Registry, store: SensorStore) -> None:
    first = message(uplink(A, 7, "2025-07-01T10:00:00Z"))
    assert ingest(registry, store, [first, first]).report.duplicates == 2  # both values of the repeat
    # a new writer (after a restart) still knows what it stored
    assert ingest(registry, store, [first]).report.stored == 0
    # the device reset its frame counter: same fCnt, later time -> a new observation
    reset = message(uplink(A, 7, "2025-07-03T10:00:00Z", 25.0))
    assert ingest(registry, store, [reset]).report.stored == 2
    temps = [r for r in observations(store) if r[0] == 1]
    assert [(t, v) for _, t, v, _ in temps] == [("2025-07-01T10:00:00", 21.5), ("2025-07-03T10:00:00", 25.0)]


def test_late_and_out_of_order_fold_into_aggregates(registry: Registry, store: SensorStore) -> None:
    ingest(registry, store, [message(uplink(A, 2, "2025-07-01T10:20:00Z", 22.0))])
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer)  # live: arrival time is now, a year after the reading
        ingestor.ingest([message(uplink(A, 1, "2025-07-01T10:10:00Z", 20.0))])
        ingestor.ingest([message(uplink(A, 3, "2025-07-01T10:30:00Z", 24.0))])
        ingestor.ingest([message(uplink(A, 0, "2025-07-01T10:00:00Z", 18.0))])
        assert ingestor.report.late == 3 and ingestor.report.out_of_order == 1
    hourly = duckdb.sql(
        f"SELECT n, sum / n, min, max FROM read_parquet('{store.hourly_files()[0]}') WHERE datastream = 1"
    ).fetchall()
    assert hourly == [(4, 21.0, 18.0, 24.0)]


def test_quarantine_reasons(registry: Registry, store: SensorStore) -> None:
    good = uplink(A, 1, "2025-07-01T00:00:00Z")
    no_payload = {k: v for k, v in good.items() if k != "data"}
    messages = [
        (topic(A), b"{not json"),
        (topic(A), json.dumps({**good, "fCnt": "12"}).encode()),
        (topic(A), json.dumps({**good, "fCnt": 2**63}).encode()),  # failed the whole batch in the store
        (topic(A), json.dumps({**good, "deviceInfo": {"devEui": 42}}).encode()),
        message(no_payload),
        message(uplink("ffffffffffffffff", 1, "2025-07-01T00:00:00Z")),
        message(uplink(A, 2, "2024-06-01T00:00:00Z")),
        message(uplink(A, 3, "2099-01-01T00:00:00Z")),
        message(uplink(A, 4, "2025-07-01T00:00:00Z", 327.67)),
        message(uplink(A, 5, "2025-07-01T00:10:00Z", 21.0, 120.0, with_object=True)),
        (topic(A), json.dumps({**good, "data": "!!!"}).encode()),
        (topic(A), json.dumps({**good, "pad": "x" * 70_000}).encode()),
        (topic(B), json.dumps(good).encode()),
        ("some/other/topic", json.dumps(good).encode()),
        (
            topic(A).replace(APP, "other-app"),
            json.dumps({**good, "deviceInfo": {"devEui": A, "applicationId": "x"}}).encode(),
        ),
    ]
    rep = ingest(registry, store, messages).report
    assert rep.quarantined == {
        "malformed JSON": 1,
        "wrong type": 2,
        "field out of range": 1,
        "no payload": 1,
        "unknown device": 1,
        "outside validity window": 1,
        "time in the future": 1,
        "sensor error sentinel": 1,
        "out of valid range": 1,
        "undecodable payload": 1,
        "payload too large": 1,
        "topic and payload disagree": 1,
        "unexpected topic": 1,
        "other application": 1,
    }
    # the valid values of a partly bad uplink are kept: humidity of #4, temperature of #5
    assert sorted(r[2] for r in observations(store)) == [21.0, 55.0]
    table = duckdb.sql(f"SELECT reason, detail FROM read_parquet('{store.quarantine_dir}/*.parquet')").fetchall()
    assert any("327.67" in detail for reason, detail in table if reason == "sensor error sentinel")
    # a re-delivered bad value is not quarantined twice
    assert ingest(registry, store, [message(uplink(A, 4, "2025-07-01T00:00:00Z", 327.67))]).report.quarantined == {}


def test_status_and_log_events_are_kept(registry: Registry, store: SensorStore) -> None:
    status = {"deviceInfo": {"devEui": A}, "time": "2025-07-01T00:00:00Z", "margin": 7, "batteryLevel": 88.5}
    log = {"deviceInfo": {"devEui": A}, "level": "ERROR", "code": "UPLINK_CODEC", "description": "codec failed"}
    rep = ingest(registry, store, [message(status, "status"), message(log, "log")]).report
    assert rep.quarantined == {}
    rows = duckdb.sql(f"SELECT event, battery_level, code FROM read_parquet('{store.events_dir}/*.parquet') ORDER BY 1")
    assert rows.fetchall() == [("log", None, "UPLINK_CODEC"), ("status", 88.5, None)]


def test_replay_file_and_single_writer(
    sensor_ws: Workspace, registry: Registry, store: SensorStore, tmp_path: Path
) -> None:
    path = tmp_path / "uplinks.jsonl"
    lines = [json.dumps(uplink(A, i, f"2025-07-01T{i:02d}:00:00Z", 20.0 + i)) for i in range(12)]
    lines.append(json.dumps({"topic": topic(B, "status"), "payload": {"deviceInfo": {"devEui": B}, "margin": 3}}))
    lines.append("garbage")
    path.write_text("\n".join(lines + lines[:3]) + "\n", encoding="utf-8")
    assert len(list(read_messages(path))) == 17
    report = replay(registry, store, path, batch_size=5)
    assert (report.stored, report.duplicates, report.quarantined) == (24, 6, {"malformed JSON": 1})
    files = store.obs_files()
    assert all(f.name.startswith("compact-") for f in files)  # replay leaves one file per partition
    with store.writer(), pytest.raises(WorkspaceLockedError):
        store.writer()


def test_parse_time_variants() -> None:
    assert parse_time("2026-01-20T08:47:43.457927819+00:00") == 1768898863457927
    assert parse_time("2026-01-20T10:47:43.5+02:00") == 1768898863500000
    assert parse_time("2026-01-20T08:47:43Z") == 1768898863000000
    with pytest.raises(ValueError):
        parse_time("yesterday")


@pytest.mark.parametrize(
    "text",
    [
        "2025-07-01T10:90:30Z",  # minute 90 was read as 11:30
        "2025-07-01T10:20:75.5+00:00",  # second 75 as 10:21:15
        "2025-07-01T10:20:-5Z",  # a sign taken for a digit
        "2025-07-01T10:+1:30.123456789+00:00",
        "2025-07-01T10:20: 5Z",
    ],
)
def test_parse_time_refuses_what_is_not_a_time(text: str) -> None:
    """The UTC fast path refuses what the general parser refuses: such an uplink is quarantined
    ("invalid time"), not stored at a time it never had."""
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize(
    ("payload", "reason", "detail"),
    [
        (b"{not json", "malformed JSON", "JSON is malformed"),
        (b"[1]", "wrong type", "payload: Expected `object`, got `array`"),
        (b'{"deviceInfo": {"devEui": "a"}, "fCnt": "12"}', "wrong type", "fCnt: Expected `int`, got `str`"),
        (b'{"deviceInfo": {"devEui": "a"}, "fCnt": true}', "wrong type", "fCnt: Expected `int`, got `bool`"),
        (b'{"deviceInfo": {"devEui": "a"}, "fCnt": 1.0}', "wrong type", "fCnt: Expected `int`, got `float`"),
        (
            b'{"deviceInfo": {"devEui": "a"}, "fCnt": 9223372036854775808}',
            "field out of range",
            "fCnt: Expected `int` <=",
        ),
        (b'{"deviceInfo": {"devEui": "a"}, "fCnt": -1}', "field out of range", "fCnt: Expected `int` >= 0"),
        (b'{"deviceInfo": {}, "fCnt": 1}', "missing field", "deviceInfo.devEui is required"),
        (b'{"deviceInfo": {"devEui": "a"}}', "missing field", "fCnt is required"),
    ],
)
def test_refused_payloads_say_why_and_where(registry: Registry, payload: bytes, reason: str, detail: str) -> None:
    batch = Normaliser(registry).process([(topic(A), payload)], 1_751_328_000_000_000)
    assert len(batch) == 0
    [row] = batch.quarantine
    assert row["reason"] == reason and row["detail"].startswith(detail), row["detail"]
