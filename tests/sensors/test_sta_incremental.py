"""A write to the sensor store updates the SensorThings relations in place, to what a rebuild gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import Registry
from territoria.sensors.sta.service import Service
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace

from .conftest import message, uplink

A, REF = "a840410000000001", "a840410000000003"
TABLES = ("sta_hourly", "sta_daily", "sta_datastreams")


def write(registry: Registry, store: SensorStore, start: datetime, hours: int, base: float) -> None:
    messages = []
    for h in range(hours):
        when = start + timedelta(hours=h)
        fcnt = int(when.timestamp()) // 3600
        messages.append(message(uplink(A, fcnt, when.isoformat(), base + h % 7, 50.0)))
        messages.append(message(uplink(REF, fcnt, when.isoformat(), base - 3, 70.0)))
    with store.writer() as writer:
        Ingestor(registry, writer, live=False).ingest(messages)


def content(service: Service) -> dict[str, list[tuple[object, ...]]]:
    service.refresh()
    return {t: service.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_writes_update_the_relations_in_place(sensor_ws: Workspace, registry: Registry, store: SensorStore) -> None:
    # the end of June in UTC is already July 1st in Paris: a local day spans two months of hours
    write(registry, store, datetime(2025, 6, 30, 12, tzinfo=UTC), 20, 20.0)
    live = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    first = content(live)
    assert first["sta_daily"]
    builds: list[set[str]] = []
    update = live._update_store

    def spy(months: set[str], full: bool) -> None:
        builds.append(months if not full else {"full"})
        update(months, full)

    live._update_store = spy  # type: ignore[method-assign]
    write(registry, store, datetime(2025, 7, 1, 0, tzinfo=UTC), 30, 25.0)  # July, and the shared day
    write(registry, store, datetime(2025, 8, 31, 20, tzinfo=UTC), 3, 18.0)  # a new month
    after = content(live)
    assert builds == [{"2025-07", "2025-08"}]  # only the months written, never a full rebuild
    fresh = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    assert after == content(fresh)
    assert after != first
    with store.writer() as writer:
        assert writer.compact(min_files=2) > 0  # compaction re-stamps the hourly files, data unchanged
    assert content(live) == content(fresh)
    count = live.con.execute("SELECT count(*) FROM sta_observations").fetchone()
    assert count == (2 * 2 * (20 + 30 + 3 - 8),)  # 2 devices x 2 quantities; 8 hours written twice


def test_the_server_builds_the_relations_before_it_accepts_requests(
    sensor_ws: Workspace, registry: Registry, store: SensorStore
) -> None:
    """The first request after a start is served like any other: the API's tables are built in
    the application's start-up (lifespan), before uvicorn takes connections."""
    import threading
    import time

    import httpx
    import uvicorn
    from fastapi import FastAPI

    from territoria.sensors.sta.router import make_router

    write(registry, store, datetime(2025, 7, 1, 0, tzinfo=UTC), 30, 25.0)
    service = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    app = FastAPI()
    app.include_router(make_router(service))
    built: list[set[str]] = []
    update = service._update_store
    service._update_store = lambda months, full: (built.append(months), update(months, full))[1]  # type: ignore[method-assign]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert srv.started and service._version is not None and built == [{"2025-07"}]  # built at start-up
        port = srv.servers[0].sockets[0].getsockname()[1]
        response = httpx.get(f"http://127.0.0.1:{port}/sta/v1.1/Datastreams", timeout=30)
        assert response.status_code == 200 and response.json()["value"]
        assert len(built) == 1  # the first request found the tables current
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def scanned(service: Service, skip: int, top: int) -> tuple[list[tuple[object, ...]], int]:
    """A page of every Observation and their number, by a scan of every file (what the counts replace)."""
    con = service.con
    rows = con.execute(f"SELECT id, result FROM sta_observations ORDER BY id LIMIT {top} OFFSET {skip}").fetchall()
    return rows, int(con.execute("SELECT count(*) FROM sta_observations").fetchone()[0])  # type: ignore[index]


def paged(service: Service, skip: int, top: int, **where: int) -> tuple[list[tuple[object, ...]], int | None]:
    from territoria.sensors.sta.model import ENTITY_SETS
    from territoria.sensors.sta.odata import Options

    conditions = [f"t.datastream_id = {where['datastream']}"] if where else []
    options = Options(top=top, skip=skip, count=True, select=["result"])
    page = service.page(ENTITY_SETS["Observations"], conditions, options)
    return [(r["@iot.id"], r["result"]) for r in page.rows], page.count


def test_observation_counts_stay_exact_after_writes_and_compaction(
    sensor_ws: Workspace, registry: Registry, store: SensorStore
) -> None:
    """``$count`` and deep ``$skip`` come from the files' row counts (Parquet metadata), not a scan:
    they match the scan after every write, across month files, and during a compaction's window
    where the compacted file and the parts it replaces are both on disk."""
    live = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    write(registry, store, datetime(2025, 6, 30, 12, tzinfo=UTC), 20, 20.0)
    totals = []
    for start, hours in ((datetime(2025, 7, 1, 0, tzinfo=UTC), 30), (datetime(2025, 8, 31, 20, tzinfo=UTC), 9)):
        for skip in (0, 7, 40, 95, 10_000):
            assert paged(live, skip, 13) == scanned(live, skip, 13)
        totals.append(paged(live, 0, 1)[1])
        write(registry, store, start, hours, 25.0)
    total = paged(live, 0, 1)[1]
    assert totals[0] < totals[1] < total == scanned(live, 0, 1)[1]
    ds = registry.by_eui[A][0].streams["temperature"][0]
    sql = f"SELECT id, result FROM sta_observations WHERE datastream_id = {ds} ORDER BY id"
    by_stream = live.con.execute(sql).fetchall()
    assert paged(live, 30, 25, datastream=ds) == (by_stream[30:55], len(by_stream))
    parts = {p: p.read_bytes() for p in store.obs_files()}
    with store.writer() as writer:
        assert writer.compact(min_files=2) > 0
    for path, data in parts.items():  # the window before the replaced parts are deleted
        if not path.exists():
            path.write_bytes(data)
    assert len(store.obs_files()) > len(parts)
    assert paged(live, 61, 17) == scanned(live, 61, 17) and paged(live, 0, 1)[1] == total


def test_a_compaction_between_the_listing_and_the_footer_reads_loses_no_observation(
    sensor_ws: Workspace, registry: Registry, store: SensorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store is listed, then a compaction (the listener's, in another process) merges and
    deletes the listed parts before their footers are read: the request lists again, and its
    ``$count`` and pages hold every observation, as the rows do. The timing is injected; the
    store, its compaction and the files are real."""
    for day in range(3):  # three batches: three parts of one month, for the compaction to merge
        write(registry, store, datetime(2025, 7, 1 + day, tzinfo=UTC), 10, 20.0)
    expected = 3 * 10 * 2 * 2  # batches x hours x devices x quantities
    live = Service(sensor_ws.root, sensor_ws.private, sensor_ws.config.communes)
    listings: list[int] = []
    list_files = live.store.obs_files

    def listing_then_compaction() -> list[Path]:
        listed = list_files()
        listings.append(len(listed))
        if len(listings) == 1:
            with store.writer() as writer:
                assert writer.compact(min_files=2) == 3
        return listed

    monkeypatch.setattr(live.store, "obs_files", listing_then_compaction)
    rows, count = paged(live, 0, 1000)
    assert count == expected and len(rows) == expected
    assert listings == [3, 1]  # the stale listing of three parts, then the compacted file
    assert (rows, count) == scanned(live, 0, 1000)
