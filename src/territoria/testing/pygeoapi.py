"""Configuration of a pygeoapi peer serving a GeoJSON file as an OGC API Features collection.

Used by the connector tests (pygeoapi as the OGC API server territoria reads) and by the API
benchmark (pygeoapi as the peer territoria's OGC API is compared with). pygeoapi itself is a
dev/bench dependency: this module only builds its configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from territoria.testing.ports import free_port

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: pygeoapi's Flask app on a werkzeug server, in a child process
SERVE = """
import sys
from werkzeug.serving import make_server
from pygeoapi.flask_app import APP
make_server("127.0.0.1", int(sys.argv[1]), APP, threaded=True).serve_forever()
"""


def pygeoapi_config(
    port: int,
    data: Path,
    *,
    title: str = "territoria",
    max_items: int = 1000,
    bbox: tuple[float, float, float, float] = (-180, -90, 180, 90),
) -> dict[str, Any]:
    """A complete pygeoapi configuration with one collection, ``communes``, keyed by ``code``."""
    local = f"http://127.0.0.1:{port}"
    contact = {k: title for k in ("name", "position", "address", "city", "stateorprovince", "postalcode")}
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": local,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["fr-FR"],
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": max_items},
            # never fetched (no HTML map is requested), but the configuration requires one
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": title,
                "description": "communes",
                "keywords": ["communes"],
                "keywords_type": "theme",
                "terms_of_service": "none",
                "url": local,
            },
            "license": {"name": "Licence Ouverte", "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
            "provider": {"name": title, "url": local},
            "contact": contact | {"country": "FR", "email": "territoria@example.org", "role": "pointOfContact"},
        },
        "resources": {
            "communes": {
                "type": "collection",
                "title": "Communes",
                "description": "Contours des communes",
                "keywords": ["communes"],
                "links": [],
                "extents": {"spatial": {"bbox": list(bbox), "crs": CRS84}},
                "providers": [{"type": "feature", "name": "GeoJSON", "data": str(data), "id_field": "code"}],
            }
        },
    }


@contextmanager
def serve_pygeoapi(
    workdir: Path, data: Path, *, bbox: tuple[float, float, float, float], title: str = "territoria tests"
) -> Iterator[str]:
    """A real pygeoapi serving ``data`` (a GeoJSON file, features keyed by ``code``) as the
    collection ``communes``, on a free port; yields its URL and stops it on exit."""
    port = free_port()
    cfg, openapi = workdir / "pygeoapi.yml", workdir / "openapi.json"
    cfg.write_text(yaml.safe_dump(pygeoapi_config(port, data, title=title, bbox=bbox)), encoding="utf-8")
    # only served at /openapi, which callers do not use: a minimal document spares its generation
    openapi.write_text(json.dumps({"openapi": "3.0.2", "info": {"title": "t", "version": "1"}, "paths": {}}))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(openapi)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/collections", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pygeoapi did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
