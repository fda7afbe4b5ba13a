"""Errors under /ogc in OGC API Features' exception format (Part 1 §7.5): ``{"code", "description"}``
as application/json, 400 for an invalid parameter (never 422), 404 for what does not exist; the
rest of the API keeps its envelope."""

from __future__ import annotations

import httpx
import jsonschema
import pytest
from api_support import RESTRICTED
from test_api_errors import assert_envelope

#: schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/exception.yaml
EXCEPTION_SCHEMA = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
}
ITEMS = "/ogc/collections/densite_population/items"


def assert_ogc(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json", r.headers["content-type"]
    body = r.json()
    jsonschema.validate(body, EXCEPTION_SCHEMA)
    assert set(body) == {"code", "description"} and body["code"] == code, body
    description: str = body["description"]
    return description


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"datetime": "garbage"}, "datetime"),
        ({"colour": "red"}, "colour"),
        ({"bbox": "x" * 300}, "bbox"),  # refused by the parameter's declared length: a 400 too, not a 422
        ({"f": "xml"}, "f="),  # GeoJSON is not what was asked for: refused, not served anyway
    ],
)
def test_invalid_parameter_is_400_invalid_parameter_value(
    client: httpx.Client, params: dict[str, str], words: str
) -> None:
    description = assert_ogc(client.get(ITEMS, params=params), 400, "InvalidParameterValue")
    assert words in description


def test_the_formats_served_are_accepted(client: httpx.Client) -> None:
    for f in ("json", "geojson", "GeoJSON"):
        assert client.get(ITEMS, params={"f": f}).status_code == 200, f
        assert client.get(f"{ITEMS}/1", params={"f": f}).status_code == 200, f
    assert_ogc(client.get(f"{ITEMS}/1", params={"f": "html"}), 400, "InvalidParameterValue")


def test_what_does_not_exist_is_404_not_found(client: httpx.Client) -> None:
    described = assert_ogc(client.get("/ogc/collections/densite_populatio/items"), 404, "NotFound")
    assert "densite_population" in described  # the close name, as everywhere in the API
    assert_ogc(client.get(f"{ITEMS}/999999"), 404, "NotFound")
    assert_ogc(client.get("/ogc/nowhere"), 404, "NotFound")


def test_closed_collection_is_refused_in_the_same_format(client: httpx.Client) -> None:
    r = client.get(f"/ogc/collections/{RESTRICTED}/items")
    assert_ogc(r, 401, "AuthenticationRequired")
    assert r.headers["www-authenticate"] == "Bearer"


def test_the_rest_of_the_api_keeps_its_envelope(client: httpx.Client) -> None:
    assert_envelope(client.get("/api/datasets/communes/rows", params={"limit": "0"}), 422)
    assert_envelope(client.get("/api/indicators/nope"), 404)
    assert_envelope(client.get("/api/ogc-lookalike"), 404)


def test_documented_as_such(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["OgcException"]
    assert schema["required"] == ["code"] and set(schema["properties"]) == {"code", "description"}
    items = spec["paths"]["/ogc/collections/{collection_id}/items"]["get"]["responses"]
    assert items["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/OgcException")
