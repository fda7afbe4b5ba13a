"""Built-in linked-data formats: a dataset's rows as JSON-LD and as Turtle.

Each row is a node ``<dataset IRI>/rows/<n>`` (n follows the export's stable order) typed
``territoria:Row`` and linked to the dataset with ``dct:isPartOf``; each column is a property
in the dataset's own namespace (``<dataset IRI>#column``). Numbers keep their SQL type
(``xsd:integer``, ``xsd:decimal``, ``xsd:double``), dates and timestamps are typed literals
and geometries are GeoSPARQL WKT literals, so a triple store loads the file without guessing.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from territoria.engines.base import quote_ident
from territoria.publication.formats import ExportFormat, ExportJob
from territoria.publication.turtle import to_turtle

CONTEXT = {
    "dct": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "territoria": "https://territoria.example/ns#",
}


def _typed(value: Any, typ: str) -> Any:
    upper = typ.upper()
    if value is None:
        return None
    if upper.startswith("GEOMETRY"):
        return {"@value": value, "@type": "geo:wktLiteral"}
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"@value": str(value), "@type": "xsd:integer"}
    if isinstance(value, Decimal):
        return {"@value": str(value), "@type": "xsd:decimal"}
    if isinstance(value, float):
        return {"@value": repr(value), "@type": "xsd:double"}
    if isinstance(value, datetime):
        return {"@value": value.isoformat(), "@type": "xsd:dateTime"}
    if isinstance(value, date):
        return {"@value": value.isoformat(), "@type": "xsd:date"}
    if isinstance(value, time):
        return {"@value": value.isoformat(), "@type": "xsd:time"}
    return str(value)


def rows_document(job: ExportJob) -> dict[str, Any]:
    """The dataset's rows as a compacted JSON-LD document (``@graph``)."""
    iri = job.iri or f"urn:territoria:datasets/{job.dataset}"
    context = {**CONTEXT, "col": f"{iri}#"}
    select = job.select
    if job.geometry:
        geom = quote_ident(job.geometry)
        select = f"SELECT * REPLACE (ST_AsText({geom}) AS {geom}) FROM ({select})"
    graph: list[dict[str, Any]] = [{"@id": iri, "@type": "dcat:Dataset", "dct:identifier": job.dataset}]
    n = 0
    for batch in job.engine.stream_batches(select):
        for row in batch.to_pylist():
            n += 1
            node: dict[str, Any] = {"@id": f"{iri}/rows/{n}", "@type": "territoria:Row", "dct:isPartOf": {"@id": iri}}
            for (col, typ), value in zip(job.columns, row.values(), strict=True):
                typed = _typed(value, typ)
                if typed is not None:
                    node[f"col:{col}"] = typed
            graph.append(node)
    return {"@context": context, "@graph": graph}


def write_jsonld(job: ExportJob) -> None:
    job.dest.write_text(json.dumps(rows_document(job), ensure_ascii=False), encoding="utf-8")


def write_turtle(job: ExportJob) -> None:
    job.dest.write_text(to_turtle(rows_document(job)), encoding="utf-8")


JSONLD = ExportFormat(
    "jsonld", "application/ld+json", "jsonld", "JSON-LD, one node per row with typed values", write_jsonld
)
TURTLE = ExportFormat("turtle", "text/turtle; charset=utf-8", "ttl", "RDF Turtle, one node per row", write_turtle)
