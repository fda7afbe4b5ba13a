"""Configuration of a pygeoapi peer serving a GeoJSON file as an OGC API Features collection.

Used by the connector tests (pygeoapi as the OGC API server territoria reads) and by the API
benchmark (pygeoapi as the peer territoria's OGC API is compared with). pygeoapi itself is a
dev/bench dependency: this module only builds its configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


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
