"""Indicator values' filters: a mistake (unknown mesh, a place outside the territory, a code that
names nothing, a period not written as the indicator's) is a 400 that says what is wrong and what to
send; a right filter that matches nothing is a 200 with no values. Before, every one of them was a
200 with an empty list."""

from __future__ import annotations

from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.api import create_app
from territoria.pipelines import run_pipeline
from territoria.testing.live import LiveServer
from territoria.workspace import init_workspace

VALUES = "/api/indicators/population/values"


def refused(client: httpx.Client, **params: str) -> dict[str, str]:
    r = client.get(VALUES, params=params)
    assert r.status_code == 400, (params, r.status_code, r.text)
    error: dict[str, str] = r.json()["error"]
    return error


def test_an_unknown_mesh_is_refused_with_the_indicators_meshes(client: httpx.Client) -> None:
    error = refused(client, mesh="arrondissement")
    assert "no mesh 'arrondissement'" in error["message"] and "commune" in error["message"]
    assert error["code"] == "unknown-mesh"
    assert refused(client, mesh="communes")["hint"] == "did you mean commune?"


def test_a_place_outside_the_territory_is_refused_saying_so(client: httpx.Client) -> None:
    paris = refused(client, mesh="commune", code="75112")  # an arrondissement of a city outside Rennes
    assert "not in the territory" in paris["message"] and "75056" in paris["message"], paris
    brest = refused(client, mesh="commune", code="29019")
    assert brest["code"] == "outside-territory" and "Brest" in brest["message"]
    assert refused(client, mesh="epci", code="200067981")["code"] == "outside-territory"  # Brest Métropole
    assert refused(client, code="29019")["code"] == "outside-territory"  # without a mesh: at any of its meshes


def test_a_code_naming_nothing_is_refused_with_close_codes(client: httpx.Client) -> None:
    error = refused(client, mesh="commune", code="3523")  # 35238 (Rennes), a digit dropped
    assert error["code"] == "unknown-code" and "35238" in error["hint"], error
    assert refused(client, mesh="commune", code="rennes")["code"] == "unknown-code"


def test_a_period_not_written_as_the_indicators_is_refused(client: httpx.Client) -> None:
    periods = client.get("/api/indicators/population").json()["periods"]
    error = refused(client, period="2022-01-01")
    assert error["code"] == "unknown-period" and str(periods[-1]) in error["message"], error


def test_right_filters_matching_nothing_answer_an_empty_list(client: httpx.Client) -> None:
    for params in ({"period": "1850"}, {"mesh": "commune", "code": "35238", "period": "1850"}):
        r = client.get(VALUES, params=params)
        assert r.status_code == 200 and r.json()["values"] == [] and r.json()["total"] == 0, r.text
    rennes = client.get(VALUES, params={"mesh": "commune", "code": "35238"})
    assert rennes.status_code == 200 and rennes.json()["total"] >= 1


def test_refusals_are_never_kept_by_the_response_cache(client: httpx.Client) -> None:
    """A refusal is answered again, never from the cache, and does not hide the right answer."""
    for _ in range(2):
        assert client.get(VALUES, params={"mesh": "commune", "code": "75112"}).status_code == 400
        ok = client.get(VALUES, params={"mesh": "commune", "code": "35238"})
        assert ok.status_code == 200 and ok.json()["total"] >= 1


hostile = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["75112", "751120101", "2A004", "00000", "<script>alert(1)</script>", "../../etc", "\x00", "NaN"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mesh=st.one_of(st.none(), st.sampled_from(["commune", "epci", "iris", "capteur"]), hostile), code=hostile)
def test_hostile_filters_are_a_4xx_or_a_200_never_a_500(client: httpx.Client, mesh: str | None, code: str) -> None:
    params = {"code": code, "period": code} if mesh is None else {"mesh": mesh, "code": code}
    r = client.get(VALUES, params=params)
    assert r.status_code in (200, 400, 422), (params, r.status_code, r.text)
    # JSON, never HTML a browser would run what it echoes; no traceback
    assert r.headers["content-type"].startswith("application/json") and "Traceback" not in r.text
    if r.status_code == 200:
        assert all(v["code"] == code for v in r.json()["values"])


def test_an_arrondissement_on_a_paris_workspace_names_its_citys_code(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "paris", communes=["75056", "92012"], name="Paris (test)", packs=["territory"])
    with ws.engine() as engine:
        assert run_pipeline(ws, engine).status == "success"
    with LiveServer(create_app(ws.root)) as live, httpx.Client(base_url=live.url, timeout=30) as paris:
        r = paris.get(VALUES, params={"mesh": "commune", "code": "75112"})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "arrondissement" and error["hint"] == "code=75056", error
        assert "arrondissement of 75056 (Paris)" in error["message"]
        ok = paris.get(VALUES, params={"mesh": "commune", "code": "75056"})
        assert ok.status_code == 200 and ok.json()["total"] >= 1
        lyon = paris.get(VALUES, params={"mesh": "commune", "code": "69381"}).json()["error"]
        assert lyon["code"] == "outside-territory" and "69123 (Lyon)" in lyon["message"]


def test_an_indicators_rows_are_filtered_with_the_same_checks(client: httpx.Client) -> None:
    rows = "/api/datasets/population/rows"
    r = client.get(rows, params={"filter": ["mesh:eq:commune", "code:in:35238|75112"]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "outside-territory", r.text
    r = client.get(rows, params={"filter": "mesh:eq:arrondissement"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown-mesh", r.text
    r = client.get(rows, params={"filter": ["code:eq:35238", "period:eq:1850"]})
    assert r.status_code == 200 and r.json()["total"] == 0, r.text
    r = client.get(rows, params={"filter": ["code:ne:75112"]})  # not an equality: any value is a right filter
    assert r.status_code == 200 and r.json()["total"] >= 1, r.text
