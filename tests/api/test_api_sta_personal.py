"""End to end: the hourly sensor dataset declared ``access: personal`` closes SensorThings.

A workspace with three sensors and a few hours of uplinks in its sensor store, and the catalog
entry of the hourly aggregates at the personal level. No token, a garbage token and a revoked
token are answered 401 on the observations (direct, and through ``$expand``), and each refusal is
in the hash-chained audit log; an administrator's token (the only role that reads personal data),
with a purpose, reads the observations.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from api_support import RENNES, LiveServer

from territoria.api import create_app
from territoria.governance.access import ACCESS_DB, AccessStore
from territoria.governance.audit import AuditLog
from territoria.sensors.ingest import Ingestor, open_registry, store_for
from territoria.sensors.sta.odata import option_params, parse_options
from territoria.testing.entries import catalog_entry, write_entry
from territoria.workspace import Workspace, init_workspace

HOURLY = "capteurs-temperature-horaire"
OBSERVATIONS = [
    ("/sta/v1.1/Observations", {}),
    ("/sta/v1.1/Datastreams", {"$expand": "Observations"}),
]


def _sensor_helpers() -> ModuleType:
    """The uplink and registry builders of the sensor tests (one definition of the device fixtures)."""
    path = Path(__file__).parents[1] / "sensors" / "conftest.py"
    spec = importlib.util.spec_from_file_location("sensor_test_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sensor_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    helpers = _sensor_helpers()
    ws = init_workspace(tmp_path_factory.mktemp("sta-personal") / "ws", epci=RENNES, name="Capteurs (test)")
    helpers.write_registry(ws.root)
    source = {"kind": "sensors", "table": "hourly", "quantities": ["temperature"]}
    write_entry(ws.sources_dir, catalog_entry(HOURLY, source, access="personal"))
    registry = open_registry(ws.root, ws.private, ws.config.communes)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)
    messages = [
        helpers.message(helpers.uplink(eui, h, (start + timedelta(hours=h)).isoformat(), 18.0 + h, 50.0))
        for eui in helpers.DEVICES
        for h in range(4)
    ]
    with store_for(ws.private).writer() as writer:
        Ingestor(registry, writer, live=False).ingest(messages)
    return Workspace(ws.root)


@pytest.fixture(scope="module")
def client(sensor_ws: Workspace) -> Iterator[httpx.Client]:
    with LiveServer(create_app(sensor_ws.root)) as live, httpx.Client(base_url=live.url, timeout=30) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_personal_sensor_data_is_closed_to_outsiders_and_audited(sensor_ws: Workspace, client: httpx.Client) -> None:
    store = AccessStore(sensor_ws.private / ACCESS_DB)
    revoked_id, revoked = store.add("ancien agent", "admin")
    store.revoke(revoked_id)
    audit = AuditLog(store)
    before = len(audit.entries(10_000))
    attempts = {
        "none": {},
        "garbage": _bearer("ttr_deadbeef_not-a-token"),
        "revoked": _bearer(revoked),
    }
    for path, params in OBSERVATIONS:
        for name, headers in attempts.items():
            r = client.get(path, params=params, headers=headers)
            assert r.status_code == 401, (path, name, r.status_code, r.text[:300])
            assert "result" not in r.text, (path, name)
    entries = audit.entries(10_000)
    refused = entries[: len(entries) - before]
    assert len(refused) == len(OBSERVATIONS) * len(attempts)  # one entry per refused request
    anonymous = [e for e in refused if e["who"] == "anonymous"]
    assert len(anonymous) == len(OBSERVATIONS)
    assert {(e["action"], e["dataset"], e["access"]) for e in anonymous} == {
        ("denied:sensorthings", HOURLY, "personal")
    }
    tokens = [e for e in refused if e["who"] == "invalid token"]
    # logged for what the route reads (the personal hourly dataset), not as an open read of the path
    assert {(e["action"], e["dataset"], e["access"]) for e in tokens} == {("denied:token", HOURLY, "personal")}
    assert sorted(e["detail"]["path"] for e in tokens) == sorted(p for p, _ in OBSERVATIONS for _ in range(2))
    assert {e["detail"]["status"] for e in tokens} == {401}
    assert {e["detail"]["claimed_token_id"] for e in tokens} == {"deadbeef", revoked_id}
    # the revoked token is one of the store's: its id and role are known; the garbage one's are not
    assert {(e["token_id"], e["role"]) for e in tokens} == {(None, "public"), (revoked_id, "admin")}
    assert all(revoked.split("_", 2)[2] not in str(e) for e in tokens)  # never the secret
    assert audit.verify().ok


def test_an_administrator_reads_personal_sensor_data_with_a_purpose(sensor_ws: Workspace, client: httpx.Client) -> None:
    _, admin = AccessStore(sensor_ws.private / ACCESS_DB).add("dpo", "admin")
    r = client.get("/sta/v1.1/Observations", params={"purpose": "contrôle RGPD"}, headers=_bearer(admin))
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["value"]) > 0 and "result" in r.json()["value"][0]
    expanded = client.get(
        "/sta/v1.1/Datastreams",
        params={"$expand": "Observations", "purpose": "contrôle RGPD"},
        headers=_bearer(admin),
    )
    assert expanded.status_code == 200 and any(d.get("Observations") for d in expanded.json()["value"])


NESTED = (
    "Datastreams({top}$select=id,name;$orderby=name desc;"
    "$expand=Observations({top}$select=result;$filter=result lt 50))"
)


def _walk(client: httpx.Client, headers: dict[str, str], page: dict[str, Any], nav: str) -> list[dict[str, Any]]:
    """Every entity of an expanded collection, following its next links to the end (and, within
    each, the next links of the collections it expands), without the links themselves."""
    rows = list(page[nav])
    link = page.get(f"{nav}@iot.nextLink")
    while link:
        r = client.get(link, headers=headers)
        assert r.status_code == 200, (link, r.text[:300])
        rows += r.json()["value"]
        link = r.json().get("@iot.nextLink")
    for row in rows:
        for key in [k for k in row if k.endswith("@iot.nextLink")]:
            row[key.removesuffix("@iot.nextLink")] = _walk(client, headers, row, key.removesuffix("@iot.nextLink"))
            del row[key]
    return rows


def test_nested_expand_pages_to_the_end_with_every_option(sensor_ws: Workspace, client: httpx.Client) -> None:
    """A nested expansion's next link carries the options of its level ($select, $filter, $orderby,
    its own $expand) and the request's purpose: paging it to the end gives the unpaged answer."""
    _, admin = AccessStore(sensor_ws.private / ACCESS_DB).add("dpo", "admin")
    headers = _bearer(admin)

    def things(top: str) -> list[dict[str, Any]]:
        params = {"$expand": NESTED.format(top=top), "purpose": "contrôle RGPD"}
        r = client.get("/sta/v1.1/Things", params=params, headers=headers)
        assert r.status_code == 200, r.text[:300]
        found: list[dict[str, Any]] = r.json()["value"]
        return found

    paged = things("$top=1;")
    assert all("Datastreams@iot.nextLink" in t for t in paged)  # one datastream a page: there is paging
    for thing in paged:
        thing["Datastreams"] = _walk(client, headers, thing, "Datastreams")
        del thing["Datastreams@iot.nextLink"]
    whole = things("")
    assert paged == whole
    datastreams = [d for t in whole for d in t["Datastreams"]]
    assert len(datastreams) == 6 and all(
        set(d) == {"@iot.id", "@iot.selfLink", "name", "Observations"} for d in datastreams
    )
    results = [o["result"] for d in datastreams for o in d["Observations"]]
    assert (
        results
        and all(r < 50 for r in results)
        and all(set(o) == {"result"} for d in datastreams for o in d["Observations"])
    )
    assert [d["name"] for d in whole[0]["Datastreams"]] == sorted(
        (d["name"] for d in whole[0]["Datastreams"]), reverse=True
    )


@pytest.mark.parametrize(
    "params",
    [
        {"$top": "2", "$skip": "4", "$count": "true", "$select": "id,name", "$orderby": "name desc,id"},
        {"$filter": "name eq 'a;b,(c)' and result lt 50"},
        {"$expand": "Datastreams($top=2;$filter=name ne 'x;y';$expand=Observations($orderby=result desc))"},
        {"$expand": "Datastreams/Thing,Locations($select=location)"},
    ],
)
def test_options_written_back_read_the_same(params: dict[str, str]) -> None:
    """``option_params`` is the inverse of ``parse_options``: what a next link carries means the same."""
    opts = parse_options(params)
    assert parse_options(dict(option_params(opts))) == opts


HOSTILE_OPTIONS: dict[str, list[str]] = {
    "$top": ["-1", "99999999999999999999", "NaN", ""],
    "$skip": ["-1", "99999999999999999999", "abc"],
    "$count": ["yes"],
    "$orderby": ["nope", "name sideways", ",", "result/../x"],
    "$select": [",", "nope", "'"],
    "$filter": [
        "name eq",
        "((((",
        "name eq 'a",
        "result gt 1e999",
        "st_within(location, geography'POINT(1e999 2)')",
        "st_within(location, geography'garbage')",
        "substringof(1,2)",
        "not" + " not" * 100 + " true",
        "result div 0 gt 1",
        "@iot.id eq 99999999999999999999999",
        "x" * 3000,
    ],
    "$expand": [
        "nope",
        "Datastreams(",
        "Datastreams($filter=((()",
        "Datastreams/" * 50 + "Thing",
        "Datastreams($expand=" * 40 + "Thing" + ")" * 40,
        "Datastreams($top=1;$skip=99999999999999999999)",
    ],
    "$unknown": ["1"],
}


@pytest.mark.parametrize(
    "path", ["Things", "Observations", "Datastreams(1)/Observations", "Things(99999999999999999999)"]
)
def test_hostile_query_options_are_refused_clearly(sensor_ws: Workspace, client: httpx.Client, path: str) -> None:
    """Hostile OData options, read by an administrator (every entity set open to them): a 400 or an
    empty or clipped answer, never a 500 or a traceback."""
    _, admin = AccessStore(sensor_ws.private / ACCESS_DB).add("revue", "admin")
    for option, values in HOSTILE_OPTIONS.items():
        for value in values:
            r = client.get(f"/sta/v1.1/{path}", params={option: value, "purpose": "revue"}, headers=_bearer(admin))
            assert r.status_code < 500 and "Traceback" not in r.text, (path, option, value[:40], r.text[:300])
            if r.status_code >= 400:
                assert r.json()["error"]["message"], (path, option, value[:40])


@pytest.mark.parametrize("value", ["dataArray", "GeoJSON"])
def test_a_result_format_is_refused_rather_than_answered_in_another_shape(
    sensor_ws: Workspace, client: httpx.Client, value: str
) -> None:
    """``$resultFormat=dataArray`` asks for another response shape: a 400 that says to leave it out."""
    _, admin = AccessStore(sensor_ws.private / ACCESS_DB).add("revue", "admin")
    r = client.get(
        "/sta/v1.1/Observations", params={"$resultFormat": value, "purpose": "revue"}, headers=_bearer(admin)
    )
    assert r.status_code == 400
    assert "$resultFormat" in r.json()["error"]["message"] and "leave out" in r.json()["error"]["hint"]
