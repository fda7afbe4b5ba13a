"""Opendatasoft Explore API v2.1 contract server, from the published documentation.

Implements ``/catalog/datasets/{id}`` (metadata: ``metas.default.modified``, ``fields``),
``/records`` (``limit`` ≤ 100, default 10; ``offset + limit`` ≤ 10 000; ``where`` equalities,
``refine=field:"value"``, ``select``), and ``/exports/{csv,json,parquet}`` (no row limit; CSV
with ``;``). Errors are JSON ``{"error_code", "message"}`` as the API returns them. An API key,
when configured, is expected as ``Authorization: Apikey <key>`` or ``apikey=<key>``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from .base import Handler, Request

PREFIX = "/api/explore/v2.1/catalog/datasets/"
FIELD_TYPES = {str: "text", int: "int", float: "double"}


def make_dataset(rows: list[dict[str, Any]], modified: str = "2025-03-01T10:00:00+00:00") -> dict[str, Any]:
    fields = [{"name": k, "label": k.replace("_", " "), "type": FIELD_TYPES[type(v)]} for k, v in rows[0].items()]
    return {"rows": rows, "fields": fields, "modified": modified}


def conso_rows(n: int) -> list[dict[str, Any]]:
    communes = [("35238", "Rennes"), ("35047", "Bruz"), ("35206", "Pacé")]
    return [
        {
            "annee": str(2020 + i % 4),
            "code_iris": f"{communes[i % 3][0]}{i:04d}",
            "nom_commune": communes[i % 3][1],
            "nb_sites_residentiel": 100 + i,
            "conso_totale_residentiel_mwh": round(1000 + i * 1.5, 1),
        }
        for i in range(n)
    ]


def _where(rows: list[dict[str, Any]], where: str | None) -> list[dict[str, Any]]:
    if not where:
        return rows
    out = rows
    for clause in re.split(r"\s+and\s+", where, flags=re.I):
        m = re.fullmatch(r'\s*(\w+)\s*=\s*"?([^"]*)"?\s*', clause)
        if not m:
            raise ValueError(clause)
        name, value = m.groups()
        out = [r for r in out if str(r.get(name)) == value]
    return out


class OdsHandler(Handler):
    def route(self, req: Request) -> None:
        if not req.path.startswith(PREFIX):
            self.send_json(404, {"error_code": "NotFound", "message": "Unknown endpoint"})
            return
        key = self.served.state.get("apikey")
        given = req.headers.get("authorization", "").removeprefix("Apikey ") or (req.query.get("apikey") or [""])[0]
        if key and given != key:
            self.send_json(401, {"error_code": "InvalidAPIKey", "message": "The API key is invalid or missing."})
            return
        parts = req.path[len(PREFIX) :].strip("/").split("/")
        ds = self.served.state["datasets"].get(parts[0])
        if ds is None:
            msg = f"Dataset {parts[0]} not found or you don't have access to it."
            self.send_json(404, {"error_code": "DatasetNotFound", "message": msg})
            return
        q = {k: v[0] for k, v in req.query.items()}
        try:
            rows = _where(ds["rows"], q.get("where"))
        except ValueError as exc:
            self.send_json(400, {"error_code": "ODSQLError", "message": f"Invalid ODSQL query: {exc}"})
            return
        for refine in req.query.get("refine", []):
            name, _, value = refine.partition(":")
            rows = [r for r in rows if str(r.get(name)) == value.strip('"')]
        if q.get("select"):
            names = [s.strip() for s in q["select"].split(",")]
            rows = [{n: r.get(n) for n in names} for r in rows]
        if len(parts) == 1:
            self.metadata(parts[0], ds)
        elif parts[1] == "records":
            self.records(rows, q)
        elif parts[1] == "exports" and len(parts) == 3:
            self.export(rows, parts[2], q)
        else:
            self.send_json(404, {"error_code": "NotFound", "message": "Unknown endpoint"})

    def metadata(self, name: str, ds: dict[str, Any]) -> None:
        doc = {
            "dataset_id": name,
            "dataset_uid": "da_" + name[:6],
            "has_records": True,
            "features": ["analyze"],
            "metas": {
                "default": {
                    "title": name.replace("-", " ").capitalize(),
                    "description": "<p>Consommation annuelle par IRIS</p>",
                    "modified": ds["modified"],
                    "data_processed": ds["modified"],
                    "records_count": len(ds["rows"]),
                    "license": "Licence Ouverte v2.0 (Etalab)",
                    "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
                    "publisher": "Enedis",
                    "keyword": ["énergie", "électricité"],
                    "theme": ["Energie"],
                }
            },
            "fields": ds["fields"],
        }
        self.send_json(200, doc, rate_headers())

    def records(self, rows: list[dict[str, Any]], q: dict[str, str]) -> None:
        limit, offset = int(q.get("limit", 10)), int(q.get("offset", 0))
        if not -1 <= limit <= 100 or limit == -1:
            msg = f"Invalid value for limit API parameter: {limit} was found but -1 <= limit <= 100 is expected."
            self.send_json(400, {"error_code": "InvalidRESTParameterError", "message": msg})
            return
        if offset + limit > 10000:
            msg = (
                f"Invalid value for sum of offset + limit API parameter: {offset + limit} was found "
                "but <= 10000 is expected."
            )
            self.send_json(400, {"error_code": "InvalidRESTParameterError", "message": msg})
            return
        self.send_json(200, {"total_count": len(rows), "results": rows[offset : offset + limit]}, rate_headers())

    def export(self, rows: list[dict[str, Any]], fmt: str, q: dict[str, str]) -> None:
        limit = int(q.get("limit", -1))
        if limit >= 0:
            rows = rows[:limit]
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, delimiter=q.get("delimiter", ";"), lineterminator="\n")
            names = list(rows[0]) if rows else []
            writer.writerow(names)
            writer.writerows([[r.get(n) for n in names] for r in rows])
            self.send_bytes(200, buf.getvalue().encode(), "text/csv; charset=utf-8")
        elif fmt == "json":
            self.send_bytes(200, json.dumps(rows).encode(), "application/json")
        else:
            self.send_json(400, {"error_code": "InvalidRESTParameterError", "message": f"Unknown format {fmt}"})


def rate_headers() -> dict[str, str]:
    return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "2026-12-01 00:00:00"}
