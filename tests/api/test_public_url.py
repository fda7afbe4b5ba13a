"""``public_url``: behind a proxy, the links the API writes name the address users reach it at,
whatever ``Host`` a client sends (a shared cache in front would otherwise hand every harvester
the links of whoever asked first)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from territoria.api import create_app
from territoria.core.errors import TerritoriaError
from territoria.pipelines import run_pipeline
from territoria.testing.live import LiveServer
from territoria.workspace import Workspace, init_workspace

PUBLIC = "https://donnees.example.fr/territoria"


def _set(root: Path, value: object) -> None:
    path = root / "territory.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["public_url"] = value
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = init_workspace(tmp_path_factory.mktemp("public") / "ws", communes=["35238", "35047"], packs=[])
    with ws.engine() as engine:
        assert run_pipeline(ws, engine, hooks=None).publication
    return ws.root


def _links(text: str) -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("href", "@id", "url") and isinstance(value, str) and value.startswith("http"):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(text))
    return found


def test_links_name_the_public_address_whatever_host_says(root: Path) -> None:
    _set(root, PUBLIC + "/")
    with LiveServer(create_app(root)) as server, httpx.Client(base_url=server.url) as client:
        for host in ("evil.example", "donnees.example.fr", "127.0.0.1:8000"):
            for path in ("/api/dcat.jsonld", "/ogc", "/ogc/collections"):
                r = client.get(path, headers={"Host": host})
                assert r.status_code == 200, (path, r.text)
                mine = {u for u in _links(r.text) if "example" in u or "127.0.0.1" in u}
                assert mine, (path, r.text[:400])
                assert all(u.startswith(PUBLIC + "/") for u in mine), (host, path, sorted(mine)[:5])


def test_without_it_links_follow_the_request(root: Path) -> None:
    _set(root, None)
    with LiveServer(create_app(root)) as server, httpx.Client(base_url=server.url) as client:
        r = client.get("/ogc", headers={"Host": "portail.example.org"})
    assert any(u.startswith("http://portail.example.org/ogc") for u in _links(r.text)), r.text[:400]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("donnees.example.fr", "needs http:// or https://"),
        ("ftp://donnees.example.fr", "needs http:// or https://"),
        ("https://donnees.example.fr/?x=1", "holds a query"),
        ("https://user:pw@donnees.example.fr", "credentials"),
        ("https://donnees.example.fr:port", "is not an address"),
    ],
)
def test_a_wrong_address_is_a_clear_error(root: Path, value: str, said: str) -> None:
    _set(root, value)
    try:
        with pytest.raises(TerritoriaError) as caught:
            _ = Workspace(root).config
        assert said in str(caught.value), str(caught.value)
        assert "e.g. https://data.example.fr" in str(caught.value)
    finally:
        _set(root, None)


def test_a_french_host_name_and_a_port_make_ascii_links(root: Path) -> None:
    _set(root, "https://données.métropole.example:8443/")
    try:
        with LiveServer(create_app(root)) as server, httpx.Client(base_url=server.url) as client:
            r = client.get("/ogc", headers={"Host": "evil.example"})
        links = {u for u in _links(r.text) if "example" in u}
        assert links and all(u.startswith("https://xn--donnes-eva.xn--mtropole-b1a.example:8443/") for u in links), (
            links
        )
    finally:
        _set(root, None)
