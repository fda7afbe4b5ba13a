"""Hub'Eau contract server, from the published documentation.

Envelope ``{"count", "first", "last", "prev", "next", "api_version", "data"}``; ``page`` and
``size`` (size ≤ 20 000); 206 Partial Content while more pages exist, 200 on the last; a request
beyond the depth limit (``page × size`` > 20 000) is a 400 with a JSON message. Filters by
equality on any field (``code_commune=35238``), comma-separated lists accepted; the hydrometry
APIs' ``code_entite`` matches a site's or a station's code. A query matching
nothing is a 200 with ``count`` 0 and an empty ``data``.

Steering (``served.state``): ``rate_limit = (requests, seconds)`` answers 429 Too Many Requests
with ``Retry-After`` (whole seconds until the window frees) beyond that many requests per window,
as the API's quota does; ``cursor = True`` serves the ``next`` links of the cursor-paged APIs
(``cursor=<opaque>`` instead of ``page``), which a client can only follow, not compute.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from .base import Handler, Request

DEPTH = 20000


def water_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "code_commune": ["35238", "35047", "35206"][i % 3],
            "nom_commune": ["Rennes", "Bruz", "Pacé"][i % 3],
            "code_parametre": "1340",
            "libelle_parametre": "Nitrates (en NO3)",
            "resultat_numerique": round(10 + (i % 17) * 0.7, 2) if i % 5 else None,
            "resultat_alphanumerique": "<0,1" if i % 5 == 0 else str(round(10 + (i % 17) * 0.7, 2)),
            "libelle_unite": "mg/L",
            "date_prelevement": f"2024-{1 + i % 12:02d}-15T08:00:00Z",
            "reseaux": [{"code": f"035000{i % 4}", "nom": "RENNES", "debit": "100 %"}],
        }
        for i in range(n)
    ]


def hydrometry_rows(stations: int, days: int) -> list[dict[str, Any]]:
    """``/api/v2/hydrometrie/obs_elab`` as documented: one elaborated observation per station, day
    and quantity (here QmnJ, the daily mean flow in l/s, and QmM on the first of each month)."""
    rows: list[dict[str, Any]] = []
    for s in range(stations):
        site = f"J{7 + s}010610"
        for d in range(days):
            day = date(2025, 6, 1) + timedelta(days=d)
            for quantity in ("QmnJ", "QmM") if day.day == 1 else ("QmnJ",):
                rows.append({
                    "code_site": site, "code_station": f"{site}01", "date_obs_elab": day.isoformat(),
                    "resultat_obs_elab": round(3000.0 * (1 + s) * (0.99**d), 1), "grandeur_hydro_elab": quantity,
                    "date_prod": f"{day.isoformat()}T12:00:00Z", "code_statut": "8",
                    "libelle_statut": "Donnée pré-validée", "code_methode": "12", "libelle_methode": "Interpolée",
                    "code_qualification": "20", "libelle_qualification": "Bonne", "longitude": -1.7, "latitude": 48.1,
                })  # fmt: skip
    return rows


_QUOTA_LOCK = threading.Lock()


class HubeauHandler(Handler):
    def throttled(self) -> bool:
        limit = self.served.state.get("rate_limit")
        if not limit:
            return False
        count, window = limit
        with _QUOTA_LOCK:
            now = time.monotonic()
            recent = [t for t in self.served.state.setdefault("_quota", []) if now - t < window]
            if len(recent) >= count:
                wait = max(1, math.ceil(window - (now - recent[0])))
                self.served.state["_quota"] = recent
                self.send_json(429, {"code": 429, "message": "Too Many Requests"}, {"Retry-After": str(wait)})
                return True
            self.served.state["_quota"] = [*recent, now]
        return False

    def route(self, req: Request) -> None:
        if self.throttled():
            return
        endpoints: dict[str, list[dict[str, Any]]] = self.served.state["endpoints"]
        rows = endpoints.get(req.path)
        if rows is None:
            self.send_json(404, {"code": 404, "message": f"Unknown endpoint {req.path}"})
            return
        q = {k: v[0] for k, v in req.query.items()}
        cursor = q.pop("cursor", None)
        if cursor is not None:
            # the opaque token carries what a page number would (Hub'Eau's own is a base64 of its state)
            page, size = (int(x) for x in bytes.fromhex(cursor).decode().split(":"))
            q.pop("page", None)
            q.pop("size", None)
        else:
            page, size = int(q.pop("page", 1)), int(q.pop("size", 5000))
        if size > DEPTH or page * size > DEPTH:
            msg = f"Le produit de la page demandée et de la taille de page ({page} x {size}) doit être ≤ {DEPTH}"
            self.send_json(400, {"code": 400, "message": msg, "field_errors": []})
            return
        for name, value in q.items():
            wanted = value.split(",")
            if name == "code_entite":  # hydrometry: a site's or a station's code
                rows = [r for r in rows if r.get("code_site") in wanted or r.get("code_station") in wanted]
                continue
            rows = [r for r in rows if str(r.get(name)) in wanted]
        chunk = rows[(page - 1) * size : page * size]
        last_page = max(1, -(-len(rows) // size))

        def link(p: int) -> str:
            if self.served.state.get("cursor"):
                token = f"{p}:{size}".encode().hex()
                return f"{self.base_url}{req.path}?{urlencode({**q, 'cursor': token})}"
            return f"{self.base_url}{req.path}?{urlencode({**q, 'page': p, 'size': size})}"

        doc = {
            "count": len(rows),
            "first": link(1),
            "last": link(last_page),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last_page else None,
            "api_version": "1.5.0",
            "data": chunk,
        }
        self.send_json(206 if page < last_page else 200, doc)
