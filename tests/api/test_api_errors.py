"""One error envelope for every error; hostile input gets a 4xx with it, never a 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from api_support import RESTRICTED, auth
from fastapi import FastAPI

from territoria.api import create_app
from territoria.workspace import Workspace


def assert_envelope(r: httpx.Response, status: int | None = None) -> None:
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"status", "code", "message", "hint", "details"}
    assert err["status"] == r.status_code and isinstance(err["message"], str) and err["code"]
    if status is not None:
        assert r.status_code == status, r.text


def test_404_405_422_400_401_403(client: httpx.Client, tokens: dict[str, str]) -> None:
    assert_envelope(client.get("/api/nowhere"), 404)
    assert_envelope(client.get("/api/indicators/nope"), 404)
    assert_envelope(client.post("/api/indicators"), 405)
    assert_envelope(client.delete("/api/catalog/communes"), 405)
    r = client.get("/api/runs", params={"limit": "lots"})
    assert_envelope(r, 422)
    assert r.json()["error"]["details"][0]["loc"] == ["query", "limit"]
    assert_envelope(client.get("/api/datasets/communes/rows", params={"filter": "code"}), 400)
    assert_envelope(client.get(f"/api/datasets/{RESTRICTED}/rows"), 401)
    assert_envelope(client.get(f"/api/datasets/{RESTRICTED}/rows", headers=auth(tokens["public"])), 403)


def test_500_has_the_envelope_and_no_internals(built_ws: Workspace) -> None:
    app: FastAPI = create_app(built_ws.root, extensions=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.get("/boom")

    r = asyncio.run(call())
    assert_envelope(r, 500)
    assert "secret" not in r.text


def assert_ogc_exception(r: httpx.Response, status: int | None = None) -> None:
    """OGC API Features' exception format (test_ogc_exceptions checks it against the standard's schema)."""
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    assert set(r.json()) == {"code", "description"}, r.text
    if status is not None:
        assert r.status_code == status, r.text


def test_every_documented_error_uses_the_envelope(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        # OGC API Features routes document their standard's exception instead (api/ogc_errors.py)
        model = "/OgcException" if path == "/ogc" or path.startswith("/ogc/") else "/ErrorEnvelope"
        for method, op in ops.items():
            for status in ("400", "401", "403", "404", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith(model), (method, path, status)


HOSTILE = [
    ("/api/indicators/population/values", {"limit": str(10**12)}),
    ("/api/indicators/population/values", {"offset": "-1"}),
    ("/api/indicators/population/values", {"limit": "1e9"}),
    ("/api/datasets/communes/rows", {"limit": "100000000"}),
    ("/api/datasets/communes/rows", {"filter": "nom:eq:x'; DROP TABLE published.communes; --", "limit": "0"}),
    ("/api/datasets/communes/rows", {"filter": 'nom"; DROP TABLE x; --:eq:1'}),
    ("/api/datasets/communes/rows", {"filter": "population:gt:1 OR 1=1"}),
    ("/api/datasets/communes/rows", {"filter": "population:in:" + "|".join(["x"] * 50)}),
    ("/api/datasets/communes/rows", {"filter": "code:drop:1"}),
    ("/api/datasets/communes/rows", {"filter": ["code:eq:1"] * 50}),
    ("/api/datasets/communes/rows", {"sort": "nom; DROP TABLE x"}),
    ("/api/datasets/communes/rows", {"sort": "-"}),
    ("/api/datasets/..%2F..%2F..%2Fetc%2Fpasswd/rows", {}),
    ("/api/datasets/....//....//etc/export", {}),
    ("/api/datasets/%2e%2e/export", {"format": "csv"}),
    ("/api/datasets/communes%00/rows", {}),
    ("/api/catalog/" + "a" * 5000, {}),
    ("/api/datasets/communes/export", {"format": "../../etc/passwd"}),
    ("/ogc/collections/densite_population/items", {"bbox": "1,2,3"}),
    ("/ogc/collections/densite_population/items", {"bbox": "nan,nan,nan,nan"}),
    ("/ogc/collections/densite_population/items", {"bbox": "-inf,0,inf,1"}),
    ("/ogc/collections/densite_population/items", {"bbox": "1e999,0,1,1"}),
    ("/ogc/collections/densite_population/items", {"bbox": "10,50,0,40"}),
    ("/ogc/collections/densite_population/items", {"bbox": "0,0,0,0," * 40}),
    ("/ogc/collections/densite_population/items", {"bbox": "POLYGON((0 0,1 1))"}),
    ("/ogc/collections/densite_population/items", {"limit": "99999999"}),
    ("/ogc/collections/densite_population/items/¹²³", {}),
    ("/ogc/collections/..%2F/items", {}),
]


@pytest.mark.parametrize(("path", "params"), HOSTILE)
def test_hostile_input_gets_a_4xx(client: httpx.Client, path: str, params: dict[str, object]) -> None:
    r = client.get(path, params=params)  # type: ignore[arg-type]
    assert 400 <= r.status_code < 500, (path, params, r.status_code, r.text[:300])
    if path.startswith("/ogc/"):
        assert_ogc_exception(r)
    else:
        assert_envelope(r)


def test_data_survives_hostile_input(client: httpx.Client) -> None:
    assert client.get("/api/datasets/communes/rows").json()["total"] == 44


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [("/api/footprint/packs", "days", "+3"), ("/api/runs", "limit", "\u00a03"), ("/api/runs", "offset", "1.5")],
)
def test_a_whole_number_refused_says_what_to_send(client: httpx.Client, path: str, name: str, value: str) -> None:
    """A whole-number query parameter (``core.params.WholeNumber``) written otherwise than in ASCII
    digits is refused with a hint naming the parameter and an example, not ``hint: null``."""
    r = client.get(path, params={name: value})
    assert_envelope(r, 422)
    err = r.json()["error"]
    assert err["details"][0]["loc"] == ["query", name]
    assert err["hint"] == f"send a whole number in ASCII digits, e.g. {name}=7"
