"""A real pygeoapi (OGC API Features) serving a few communes of the shipped referential."""

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
import pyarrow.parquet as pq
import shapely
import yaml

from territoria.reference.referential import data_dir
from territoria.testing.ports import free_port
from territoria.testing.pygeoapi import pygeoapi_config

SERVE = """
import sys
from werkzeug.serving import make_server
from pygeoapi.flask_app import APP
make_server("127.0.0.1", int(sys.argv[1]), APP, threaded=True).serve_forever()
"""


def communes_geojson(codes: list[str], dest: Path) -> dict[str, Any]:
    table = pq.read_table(data_dir() / "communes_geom.parquet", columns=["code", "geometry"]).to_pylist()
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "properties": {"code": row["code"], "rang": i},
            "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(row["geometry"]).simplify(0.001))),
        }
        for i, row in enumerate(r for r in table if r["code"] in codes)
    ]
    doc = {"type": "FeatureCollection", "features": features}
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return doc


@contextmanager
def pygeoapi(workdir: Path, codes: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    workdir.mkdir(parents=True, exist_ok=True)
    doc = communes_geojson(codes, workdir / "communes.geojson")
    port = free_port()
    cfg, openapi = workdir / "pygeoapi.yml", workdir / "openapi.json"
    rennes = (-2.0, 47.9, -1.4, 48.3)
    settings = pygeoapi_config(port, workdir / "communes.geojson", title="territoria tests", bbox=rennes)
    cfg.write_text(yaml.safe_dump(settings), encoding="utf-8")
    # only served at /openapi, which the tests do not use: a minimal document spares its generation
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
        yield url, doc
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
