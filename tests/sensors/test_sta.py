"""The SensorThings API through a real HTTP server (uvicorn on 127.0.0.1, port 0)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from territoria.sensors.ingest import Ingestor
from territoria.sensors.registry import Registry
from territoria.sensors.sta.router import router
from territoria.sensors.store import SensorStore
from territoria.workspace import Workspace

from .conftest import message, uplink

A, B, REF = "a840410000000001", "a840410000000002", "a840410000000003"
START = datetime(2025, 7, 1, tzinfo=UTC)
HOURS = 48
RENNES_BOX = "POLYGON((-1.70 48.10, -1.65 48.10, -1.65 48.13, -1.70 48.13, -1.70 48.10))"


def temp_a(h: int) -> float:
    return 10.0 + h % 24


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Workspace, Registry]]:
    from territoria.sensors.ingest import open_registry, store_for
    from territoria.workspace import init_workspace

    from .conftest import write_registry

    ws = init_workspace(tmp_path_factory.mktemp("sta") / "ws", epci="243500139")
    write_registry(ws.root)
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    store: SensorStore = store_for(ws.private)
    messages = []
    for h in range(HOURS):
        when = (START + timedelta(hours=h)).isoformat()
        messages.append(message(uplink(A, h, when, temp_a(h), 50.0)))
        messages.append(message(uplink(B, h, when, 15.0, 60.0, with_object=True)))
        messages.append(message(uplink(REF, h, when, 12.0, 70.0)))
    with store.writer() as writer:
        Ingestor(registry, writer, live=False).ingest(messages)
    app = FastAPI()
    app.include_router(router(ws))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/sta/v1.1", ws, registry
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def get(server: tuple[str, Workspace, Registry]) -> Iterator[Any]:
    base = server[0]
    with httpx.Client(timeout=30) as client:

        def fetch(path: str, status: int = 200, **params: Any) -> Any:
            url = path if path.startswith("http") else base + path
            r = client.get(url, params=params or None)
            assert r.status_code == status, r.text
            return r.json() if r.headers["content-type"].startswith("application/json") else r.text

        yield fetch


def ds_id(registry: Registry, eui: str, quantity: str = "temperature") -> int:
    return registry.by_eui[eui][0].streams[quantity][0]


def test_service_root_and_entity_sets(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    root = get("")
    names = {v["name"] for v in root["value"]}
    assert {"Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors", "ObservedProperties"} <= names
    assert {"Observations", "FeaturesOfInterest", "DailyAggregates", "HourlyAggregates"} <= names
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data" in root["serverSettings"]["conformance"]
    things = get("/Things", **{"$count": "true"})
    assert things["@iot.count"] == 3
    thing = things["value"][0]
    assert thing["@iot.selfLink"].endswith(f"/Things({thing['@iot.id']})")
    assert get(thing["Datastreams@iot.navigationLink"])["value"][0]["unitOfMeasurement"]["symbol"] in ("°C", "%")
    assert len(get("/Sensors")["value"]) == 2 and len(get("/ObservedProperties")["value"]) == 2
    hist = get("/HistoricalLocations", **{"$expand": "Thing($select=name),Locations"})["value"]
    assert len(hist) == 3 and all(h["Locations"][0]["location"]["type"] == "Point" for h in hist)


def test_paging_with_next_link_visits_every_observation_once(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    ds = ds_id(server[2], A)
    page = get(f"/Datastreams({ds})/Observations", **{"$top": "7", "$count": "true"})
    assert page["@iot.count"] == HOURS
    seen = [o["@iot.id"] for o in page["value"]]
    while "@iot.nextLink" in page:
        page = get(page["@iot.nextLink"])
        seen += [o["@iot.id"] for o in page["value"]]
    assert len(seen) == HOURS == len(set(seen))
    one = get(f"/Observations({seen[5]})")
    assert one["result"] == temp_a(5) and one["phenomenonTime"] == "2025-07-01T05:00:00.000Z"
    assert get(one["Datastream@iot.navigationLink"])["@iot.id"] == ds


def test_select_orderby_filter(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    ds = ds_id(server[2], A)
    obs = get(
        f"/Datastreams({ds})/Observations",
        **{"$select": "result,phenomenonTime", "$orderby": "result desc,phenomenonTime asc", "$top": "3"},
    )["value"]
    assert [o["result"] for o in obs] == [33.0, 33.0, 32.0] and set(obs[0]) == {"result", "phenomenonTime"}
    window = get(
        f"/Datastreams({ds})/Observations",
        **{"$filter": "phenomenonTime ge 2025-07-02T00:00:00Z and phenomenonTime lt 2025-07-02T06:00:00Z "
           "and (result le 12 or result eq 15) and not (result eq 11)", "$count": "true"},
    )  # fmt: skip
    assert window["@iot.count"] == 3 and sorted(o["result"] for o in window["value"]) == [10.0, 12.0, 15.0]
    during = get(
        "/Observations",
        **{
            "$filter": "during(phenomenonTime, 2025-07-01T10:00:00Z/2025-07-01T12:00:00Z) "
            f"and Datastream/@iot.id eq {ds}"
        },
    )["value"]
    assert [o["result"] for o in during] == [20.0, 21.0]
    by_thing = get("/Observations", **{"$filter": "Datastream/Thing/name eq 'bruz' and result eq 15", "$count": "true"})
    assert by_thing["@iot.count"] == HOURS
    props = get("/Things", **{"$filter": "properties/role eq 'reference_rurale'"})["value"]
    assert [t["name"] for t in props] == ["reference"]
    text = get("/Things", **{"$filter": "startswith(name, 'ren') and length(name) gt 3 add 2"})["value"]
    assert [t["name"] for t in text] == ["rennes-centre"]
    assert get(f"/Things({props[0]['@iot.id']})/name/$value") == "reference"
    assert get(f"/Things({props[0]['@iot.id']})/name") == {"name": "reference"}


def test_expand_with_nested_options(get: Any) -> None:
    things = get(
        "/Things",
        **{
            "$filter": "name eq 'rennes-centre'",
            "$expand": "Datastreams($select=name;$orderby=name asc;$expand=Observations($top=1;"
            "$orderby=phenomenonTime desc;$select=result)),Locations",
        },
    )["value"]
    (thing,) = things
    names = [d["name"] for d in thing["Datastreams"]]
    assert names == sorted(names) and len(names) == 2
    temp = next(d for d in thing["Datastreams"] if d["name"].endswith("temperature"))
    assert temp["Observations"] == [{"result": temp_a(HOURS - 1)}] and "Observations@iot.nextLink" in temp
    assert thing["Locations"][0]["location"]["coordinates"] == [-1.6778, 48.1113]
    obs = get("/Observations", **{"$top": "1", "$expand": "Datastream/Thing"})["value"][0]
    assert obs["Datastream"]["Thing"]["name"] in ("rennes-centre", "bruz", "reference")


def test_st_within(get: Any) -> None:
    inside = get("/Locations", **{"$filter": f"st_within(location, geography'{RENNES_BOX}')"})["value"]
    assert [loc["name"].split(" @")[0] for loc in inside] == ["rennes-centre"]
    foi = get("/FeaturesOfInterest", **{"$filter": f"not st_within(feature, geography'{RENNES_BOX}')"})["value"]
    assert len(foi) == 2
    near = get("/Datastreams", **{"$filter": "st_distance(observedArea, geography'POINT(-1.6778 48.1113)') lt 0.01"})
    assert {d["name"] for d in near["value"]} == {"rennes-centre — temperature", "rennes-centre — humidity"}
    obs = get(
        "/Observations",
        **{"$filter": f"st_within(FeatureOfInterest/feature, geography'{RENNES_BOX}')", "$count": "true", "$top": "1"},
    )
    assert obs["@iot.count"] == 2 * HOURS


def test_aggregation_extension(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    ds = ds_id(server[2], A)
    daily = get(f"/Datastreams({ds})/DailyAggregates")["value"]
    paris = ZoneInfo("Europe/Paris")
    expected: dict[str, list[float]] = {}
    for h in range(HOURS):
        day = (START + timedelta(hours=h)).astimezone(paris).date().isoformat()
        expected.setdefault(day, []).append(temp_a(h))
    assert len(daily) == len(expected)
    for row in daily:
        start = datetime.fromisoformat(row["phenomenonTime"].split("/")[0]).astimezone(paris).date().isoformat()
        values = expected[start]
        assert (row["count"], row["min"], row["max"]) == (len(values), min(values), max(values))
        assert row["mean"] == pytest.approx(sum(values) / len(values))
        assert row["Datastream@iot.navigationLink"].endswith(f"/Datastreams({ds})")
    hourly = get(
        "/HourlyAggregates",
        **{"$filter": f"Datastream@iot.id eq {ds} and phenomenonTime ge 2025-07-01T20:00:00Z", "$top": "2"},
    )
    assert [h["mean"] for h in hourly["value"]] == [30.0, 31.0] and "@iot.nextLink" in hourly
    everything = get("/DailyAggregates", **{"$count": "true", "$top": "1000"})
    assert everything["@iot.count"] == 6 * len(expected)


def test_errors_are_clear(get: Any) -> None:
    assert "no entity set" in get("/Thingz", 404)["error"]["message"]
    assert get("/Things(999)", 404)["error"]["code"] == "not-found"
    bad = get("/Things", 400, **{"$filter": "name eq"})
    assert "ends too early" in bad["error"]["message"]
    assert "no property" in get("/Things", 400, **{"$filter": "colour eq 'red'"})["error"]["message"]
    assert "unknown function" in get("/Things", 400, **{"$filter": "frobnicate(name)"})["error"]["message"]
    assert "non-negative" in get("/Things", 400, **{"$top": "-1"})["error"]["message"]
    assert "unknown query option" in get("/Things", 400, **{"$frob": "1"})["error"]["message"]


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("$filter", "(" * 40 + "name eq 'x'" + ")" * 40, "nested too deeply"),
        ("$filter", "not " * 40 + "name eq 'x'", "nested too deeply"),
        ("$filter", "length(" * 40 + "name" + ")" * 40 + " gt 1", "nested too deeply"),
        ("$filter", "(" * 5000 + "name eq 'x'" + ")" * 5000, "too long"),
        ("$filter", " add ".join(["1"] * 600) + " eq 1", "too long"),
        ("$expand", "Datastreams($expand=Thing($expand=" * 20 + "Datastreams" + "))" * 20, "nested too deeply"),
    ],
)
def test_deep_or_long_queries_are_refused_clearly(get: Any, option: str, text: str, message: str) -> None:
    body = get("/Things", 400, **{option: text})
    assert message in body["error"]["message"] and body["error"]["hint"]


def test_nesting_within_the_limit_still_works(get: Any) -> None:
    body = get("/Things", **{"$filter": "(" * 30 + "not (name eq 'nothing')" + ")" * 30})
    assert body["value"]


def test_observations_pages_in_id_order_across_datastreams(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    def walk(**params: str) -> tuple[list[int], int]:
        page = get("/Observations", **{"$top": "31", "$count": "true", "$select": "@iot.id,result", **params})
        count, seen = page["@iot.count"], [o["@iot.id"] for o in page["value"]]
        while "@iot.nextLink" in page:
            page = get(page["@iot.nextLink"])
            seen += [o["@iot.id"] for o in page["value"]]
        return seen, count

    seen, count = walk()
    assert count == len(seen) == len(set(seen)) == len(get("/Datastreams")["value"]) * HOURS
    assert seen == sorted(seen)
    assert seen == [o["@iot.id"] for o in get("/Observations", **{"$top": "1000", "$orderby": "@iot.id"})["value"]]
    late, late_count = walk(**{"$filter": "phenomenonTime ge 2025-07-02T12:00:00Z or result lt 11"})
    assert late == sorted(late) and late_count == len(late) and 0 < len(late) < len(seen)


def test_datastream_id_filter_is_the_path_form(get: Any, server: tuple[str, Workspace, Registry]) -> None:
    ds = ds_id(server[2], A)
    by_path = get(f"/Datastreams({ds})/Observations", **{"$top": "1000", "$count": "true"})
    by_filter = get("/Observations", **{"$top": "1000", "$count": "true", "$filter": f"Datastream/@iot.id eq {ds}"})
    assert by_filter["value"] == by_path["value"] and by_filter["@iot.count"] == by_path["@iot.count"] == HOURS
    nested = get("/Observations", **{"$filter": f"Datastream/Thing/@iot.id eq {server[2].ids['thing:rennes-centre']}"})
    assert {o["@iot.id"] >> 42 for o in nested["value"]} == {ds, ds_id(server[2], A, "humidity")}


def test_expanded_pages_are_each_parents_own_page(get: Any) -> None:
    """``$expand`` of a to-many navigation is one query for the whole page of parents; each parent
    still gets the page, count and next link that its own path gives."""
    links = 0
    for skip in ("0", "1"):
        options = {"$top": "1", "$skip": skip, "$count": "true", "$orderby": "name desc", "$select": "name"}
        inner = ";".join(f"{k}={v}" for k, v in options.items())
        things = get("/Things", **{"$expand": f"Datastreams({inner})", "$orderby": "name"})["value"]
        assert len(things) == 3 and all(t["Datastreams"] for t in things[:1])
        for thing in things:
            own = get(f"/Things({thing['@iot.id']})/Datastreams", **options)
            assert thing["Datastreams"] == own["value"] and thing["Datastreams@iot.count"] == own["@iot.count"]
            # the nested link pages the navigation path (without the nested options, as before)
            assert ("Datastreams@iot.nextLink" in thing) == ("@iot.nextLink" in own)
            links += "Datastreams@iot.nextLink" in thing
    assert links > 0
    plain = get("/Things", **{"$expand": "Datastreams($filter=name eq 'nothing'),Locations"})["value"]
    assert all(t["Datastreams"] == [] and len(t["Locations"]) == 1 for t in plain)
