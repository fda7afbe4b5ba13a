"""WFS 2.0 contract server (GetFeature, GeoJSON output), from the OGC 09-025r2 standard.

Key-value requests ``service=WFS&version=2.0.0&request=GetFeature&typeNames=...&count=&startIndex=``;
GeoJSON answers carry ``numberMatched``/``numberReturned`` (as GeoServer does); errors are OWS
``ExceptionReport`` XML documents with an ``exceptionCode`` and a ``locator``.
"""

from __future__ import annotations

from typing import Any

from .base import Handler, Request

EXCEPTION = """<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0">
  <ows:Exception exceptionCode="{code}" locator="{locator}">
    <ows:ExceptionText>{text}</ows:ExceptionText>
  </ows:Exception>
</ows:ExceptionReport>"""


class WfsHandler(Handler):
    def route(self, req: Request) -> None:
        q = {k.lower(): v[0] for k, v in req.query.items()}
        layers: dict[str, dict[str, Any]] = self.served.state["layers"]
        if q.get("service", "").upper() != "WFS" or q.get("request") != "GetFeature":
            self.exception("OperationNotSupported", "request", "Only GetFeature is implemented")
        elif q.get("typenames") not in layers:
            self.exception("InvalidParameterValue", "typeName", f"Feature type {q.get('typenames')} unknown")
        elif q.get("outputformat") != "application/json":
            self.exception("InvalidParameterValue", "outputFormat", f"Unknown output format {q.get('outputformat')}")
        else:
            features = layers[q["typenames"]]["features"]
            start, count = int(q.get("startindex", 0)), int(q.get("count", 1_000_000))
            page = features[start : start + count]
            doc = {
                "type": "FeatureCollection",
                "features": page,
                "totalFeatures": len(features),
                "numberMatched": len(features),
                "numberReturned": len(page),
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
            }
            self.send_json(200, doc)

    def exception(self, code: str, locator: str, text: str) -> None:
        body = EXCEPTION.format(code=code, locator=locator, text=text).encode()
        self.send_bytes(400, body, "application/xml")
