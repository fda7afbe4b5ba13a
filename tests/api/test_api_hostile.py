"""Hostile requests on the whole HTTP surface: every route of the OpenAPI document with every one of
its parameters set to values a client should never send (huge, negative, NaN, unknown CRS, broken
syntax, long strings, unicode, path traversal), odd methods and headers, and near-miss names of the
restricted and personal datasets. Each is a 4xx with a message (the API's envelope or OGC's
exception), never a 500 or a traceback, and never a closed dataset's rows to a caller not allowed.
Schemathesis (``test_api_schemathesis.py``) generates values the schema allows; these are the ones
it does not."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_support import PERSONAL, RESTRICTED, auth
from fastapi import FastAPI

HOSTILE = [
    "",
    "-1",
    "1e309",
    "NaN",
    "-Infinity",
    "9" * 40,
    "1.5",
    "0x10",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "\x00",
    "é" * 300,
    "'; DROP TABLE x; --",
    "<script>alert(1)</script>",
    "\U0001f600\u202e",
    "a" * 5000,
    "null",
    "NaN,NaN,NaN,NaN",
    "inf,0,1,1",
    "1,2,3,4,5,6",
    "urn:ogc:def:crs:EPSG::9999",
    "2022/..",
    "((",
    "'",
    "%FF%FE",
]
#: values of the path parameters that are not under test (a valid one, so that the parameter under
#: test is what the route reads)
VALID = {
    "collection_id": "contours-communes",
    "dataset_id": "communes",
    "indicator_id": "population",
    "feature_id": "1",
    "path": "Things",
}
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"


def _answered(r: httpx.Response, what: object) -> None:
    """A 4xx with a message, or a success: never a server error, never a traceback."""
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text, (what, r.text[:300])
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        message = body["error"]["message"] if "error" in body else body["description"]  # OGC's exception
        assert isinstance(message, str) and message.strip(), (what, body)


def _get_routes(app: FastAPI) -> list[tuple[str, list[str], list[str]]]:
    routes = []
    for path, ops in app.openapi()["paths"].items():
        if "get" in ops:
            params = ops["get"].get("parameters", [])
            routes.append(
                (
                    path,
                    [p["name"] for p in params if p["in"] == "path"],
                    [p["name"] for p in params if p["in"] == "query"],
                )
            )
    return routes


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe="/" if name == "path" else ""))
    return path.replace("{path:path}", "")


def test_every_parameter_of_every_route_refuses_hostile_values(app: FastAPI, client: httpx.Client) -> None:
    routes = _get_routes(app)
    assert len(routes) >= 20
    for path, in_path, in_query in routes:
        for target in [*in_path, *in_query, "zz_unknown"]:
            for value in HOSTILE:
                values = {p: value if p == target else VALID.get(p, "x") for p in in_path}
                params = {target: value} if target not in in_path else {}
                _answered(client.get(_url(path, values), params=params), (path, target, value[:40]))


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "-1e308,-1e308,1e308,1e308", "bbox-crs": L93},  # the densified edges overflowed: a 500
        {"bbox": "1e308,1e308,1e308,1e308", "bbox-crs": L93, "crs": L93},
        {"bbox": "-4e8,-4e8,4e8,4e8", "bbox-crs": L93},
        {"bbox": "179,-90,-179,90"},
        {"bbox": "0,0,0,0", "crs": L93},
        {"limit": "1", "offset": "99999"},
        {"limit": "10000", "offset": "1000000000"},
        {"limit": "1", "offset": "1", "datetime": "0001-01-01T00:00:00Z/.."},
        {"datetime": "2024-02-30"},
        {"crs": "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"},
    ],
)
def test_ogc_items_with_hostile_combinations(client: httpx.Client, params: dict[str, str]) -> None:
    for collection in ("contours-communes", "densite_population"):
        _answered(client.get(f"/ogc/collections/{collection}/items", params=params), (collection, params))


def test_a_parameter_given_twice_is_refused(client: httpx.Client) -> None:
    r = client.get("/ogc/collections/contours-communes/items", params=[("limit", "1"), ("limit", "2")])
    assert r.status_code == 400 and "more than once" in r.json()["description"]
    r = client.get("/ogc/collections/contours-communes/items/1", params=[("crs", L93), ("crs", L93)])
    assert r.status_code == 400


def test_odd_methods_headers_and_static_paths(client: httpx.Client) -> None:
    paths = ["/api/catalog", "/api/datasets/communes/rows", "/ogc/collections/contours-communes/items", "/"]
    for path in paths:
        for method in ("POST", "PUT", "DELETE", "PATCH", "TRACE"):
            r = client.request(method, path)
            _answered(r, (method, path))
            assert r.status_code == 405, (method, path, r.status_code)
        for header in (b"Bearer", b"Bearer tt__", b"Bearer tt_" + b"a" * 5000 + b"_b", b"Bearer \xc3\xa9", b"Token x"):
            r = client.get(path, headers={"Authorization": header})
            _answered(r, (path, header[:20]))
            assert r.status_code == 401, (path, header[:20], r.status_code)
        for accept in (b"application/xml", b"image/png", b"*/*;q=abc", b"\xc3\xa9"):
            _answered(client.get(path, headers={"Accept": accept}), (path, accept))
    for traversal in ("/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd"):
        r = client.get(traversal)
        assert r.status_code == 404 and "root:" not in r.text, traversal


def _near_misses(dataset: str) -> list[str]:
    return [
        dataset,
        dataset.upper(),
        f"published.{dataset}",
        f"{dataset} ",
        f"{dataset}/",
        f"./{dataset}",
        f"{dataset}\x00",
        f"{dataset}\u200b",
        f"../datasets/{dataset}",
        dataset.replace("-", "_"),
    ]


@pytest.mark.parametrize("role", [None, "public", "contractor"])
def test_closed_datasets_never_reach_a_caller_not_allowed(
    app: FastAPI, client: httpx.Client, tokens: dict[str, str], role: str | None
) -> None:
    """Near-miss names of the restricted and personal datasets on every route that names a dataset:
    refused or unknown, never their rows (the values of their CSV files)."""
    secrets = ("1200.5", "310.25", "Jeanne Martin", "Paul Durand")
    headers = auth(tokens[role] if role else None)
    routes = [(p, in_path) for p, in_path, _ in _get_routes(app) if {"dataset_id", "collection_id"} & set(in_path)]
    for dataset in (RESTRICTED, PERSONAL):
        for name in _near_misses(dataset):
            for path, in_path in routes:
                values = {p: name if p in ("dataset_id", "collection_id") else VALID.get(p, "1") for p in in_path}
                params: dict[str, Any] = {"purpose": "contrôle", "format": "csv"}
                r = client.get(_url(path, values), params=params, headers=headers)
                _answered(r, (path, name, role))
                if path.endswith(("/rows", "/export", "/items", "/items/{feature_id}", "/quarantine")):
                    assert r.status_code >= 400, (path, name, role, r.status_code)
                assert not any(s in r.text for s in secrets), (path, name, role)


#: whole numbers as Python's int() reads them but the OpenAPI document does not allow: Unicode
#: whitespace around the digits (NEL, no-break and em spaces, tab), digits of other scripts, a
#: plus sign, an underscore (schemathesis found ``?days=%C2%853`` served as ``days=3``)
NOT_WHOLE_NUMBERS = ["\x853", " 3", "3 ", "\u00a03", "\u20033", "3\t", "\u0663", "+3", "1_0", "３"]


def test_whole_number_parameters_take_ascii_digits_only(app: FastAPI, client: httpx.Client) -> None:
    checked = 0
    for path, ops in app.openapi()["paths"].items():
        params = ops.get("get", {}).get("parameters", [])
        in_path = [p["name"] for p in params if p["in"] == "path"]
        for p in params:
            if p["in"] != "query" or p.get("schema", {}).get("type") != "integer":
                continue
            checked += 1
            url = _url(path, {name: VALID.get(name, "x") for name in in_path})
            for value in NOT_WHOLE_NUMBERS:
                r = client.get(url, params={p["name"]: value})
                _answered(r, (path, p["name"], value))
                assert 400 <= r.status_code < 500, (path, p["name"], value, r.status_code)
                assert p["name"] in r.text, (path, p["name"], value, r.text[:300])
    assert checked >= 10
