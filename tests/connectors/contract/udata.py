"""data.gouv.fr (udata API v1) contract server, from the published documentation.

``GET /api/1/datasets/{id}/`` returns the dataset object with its ``resources`` (``id``,
``title``, ``url``, ``format``, ``filetype``, ``filesize``, ``mime``, ``last_modified``,
``checksum{type,value}``, ``schema{name,version}``); errors are JSON ``{"message": ...}``.
Resource files are served under ``/files/`` with ETag/Last-Modified, and schema.data.gouv.fr's
catalog under ``/schemas/schemas.json``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .base import Handler, Request


def resource(rid: str, name: str, body: bytes, last_modified: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "title": name,
        "name": name,
        "body": body,
        "format": name.rsplit(".", 1)[-1],
        "filetype": "file",
        "filesize": len(body),
        "mime": "text/csv",
        "last_modified": last_modified,
        "checksum": {"type": "sha1", "value": hashlib.sha1(body).hexdigest()},
        **extra,
    }


class UdataHandler(Handler):
    def route(self, req: Request) -> None:
        state = self.served.state
        if req.path.startswith("/api/1/datasets/"):
            key = req.path.removeprefix("/api/1/datasets/").strip("/")
            ds = state["datasets"].get(key)
            if ds is None:
                self.send_json(404, {"message": "Not Found"})
                return
            self.send_json(200, self.dataset_doc(key, ds))
        elif req.path.startswith("/files/"):
            name = req.path.removeprefix("/files/")
            for ds in state["datasets"].values():
                for res in ds["resources"]:
                    if res["name"] == name:
                        etag = '"' + hashlib.sha256(res["body"]).hexdigest()[:12] + '"'
                        self.send_conditional(res["body"], res["mime"], etag, "Sat, 01 Mar 2025 10:00:00 GMT")
                        return
            self.send_json(404, {"message": "Not Found"})
        elif req.path == "/schemas/schemas.json":
            self.send_json(200, {"schemas": state.get("schema_catalog", [])})
        elif req.path.startswith("/schemas/"):
            doc = state.get("schema_files", {}).get(req.path)
            self.send_json(200, doc) if doc else self.send_json(404, {"message": "Not Found"})
        else:
            self.send_json(404, {"message": "Not Found"})

    def dataset_doc(self, key: str, ds: dict[str, Any]) -> dict[str, Any]:
        resources = [
            {k: v for k, v in res.items() if k not in ("body", "name")}
            | {"url": f"{self.base_url}/files/{res['name']}"}
            for res in ds["resources"]
        ]
        return {
            "id": ds.get("id", key),
            "slug": key,
            "title": ds.get("title", key),
            "description": ds.get("description", ""),
            "organization": {"id": "org1", "name": ds.get("publisher", "Rennes Métropole"), "slug": "rennes"},
            "license": ds.get("license", "lov2"),
            "frequency": ds.get("frequency", "annual"),
            "tags": ds.get("tags", []),
            "created_at": "2024-01-01T00:00:00",
            "last_modified": max(r["last_modified"] for r in ds["resources"]),
            "archived": None,
            "resources": resources,
        }
