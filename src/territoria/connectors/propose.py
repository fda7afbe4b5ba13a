"""Propose a catalog entry from a URL: detect the kind, read metadata, infer a Table Schema.

Used by ``territoria sources add``. Nothing is landed: metadata and at most a small sample are
read. The proposal is for a human to review before the first run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from territoria.connectors import infer
from territoria.connectors.formats.compression import inflate_sample, open_sample
from territoria.connectors.formats.parquet import PARQUET_MAGIC
from territoria.connectors.http.client import HttpClient, HttpOptions, expect
from territoria.connectors.hubeau.connector import HubeauOptions, read_page
from territoria.connectors.ods.connector import OdsOptions, dataset_metadata
from territoria.connectors.ogcapi.connector import OgcApiOptions
from territoria.connectors.udata.connector import UdataOptions, dataset_doc, pick_resource
from territoria.connectors.wfs.connector import WfsOptions
from territoria.core.errors import SourceError, UserError

SCHEMA_CATALOG = "https://schema.data.gouv.fr/schemas/schemas.json"
UDATA_FREQUENCIES = {"annual", "monthly", "weekly", "daily", "quarterly", "semiannual", "continuous", "hourly"}
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".xlsx": "xlsx",
}
#: what ``sources add`` writes where the source says nothing; ``placeholders`` flags it
PLACEHOLDER = "(à compléter)"
SAMPLE = 1 << 16


@dataclass
class Proposal:
    identifier: str
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return cleaned or "source"


def detect(url: str) -> tuple[str, dict[str, Any]]:
    """(kind, source options) for a URL, or for a local path (plain or ``file://``)."""
    parts = urlsplit(url)
    if parts.scheme == "file" or not parts.scheme or re.fullmatch(r"[A-Za-z]", parts.scheme):
        # no scheme, or a Windows drive letter: a path on this machine
        return "file", {"path": url.removeprefix("file://")}
    query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
    root = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.fragment:
            raise UserError("say which table: postgresql://user@host/db#schema.table")
        return "postgres", {"dsn": url.split("#", 1)[0], "table": parts.fragment}
    if parts.scheme not in ("http", "https"):
        raise UserError(
            f"cannot add {url!r}: only http(s)://, file:// and postgresql:// URLs and local paths are proposed"
        )
    if m := re.search(r"/api/explore/v2\.[01]/catalog/datasets/([^/?#]+)", parts.path) or re.search(
        r"/explore/dataset/([^/?#]+)", parts.path
    ):
        return "ods", {
            "portal": root + parts.path[: parts.path.find("/api/")] if "/api/" in parts.path else root,
            "dataset": m.group(1),
        }
    if m := re.search(r"^(.*/api/1)/datasets/([^/?#]+)", parts.path):
        return "udata", {"api": root + m.group(1), "dataset": m.group(2)}
    if m := re.search(r"^/(?:[a-z]{2}/)?datasets/([^/?#]+)", parts.path):
        return "udata", {"api": f"{root}/api/1", "dataset": m.group(1)}
    if query.get("service", "").upper() == "WFS":
        typename = query.get("typenames") or query.get("typename")
        if not typename:
            raise UserError("a WFS URL needs typeNames=<layer>")
        return "wfs", {"url": root + parts.path, "typename": typename}
    if m := re.search(r"^(.*)/collections/([^/?#]+)(/items)?/?$", parts.path):
        return "ogcapi", {"url": root + m.group(1), "collection": m.group(2)}
    if re.search(r"^/api/v\d+/\w+/\w+", parts.path):
        filters = {k: v for k, v in query.items() if k not in ("page", "size", "format")}
        return "hubeau", {"api": root, "endpoint": parts.path, **({"query": filters} if filters else {})}
    return "http", {"url": url}


def propose(
    url: str, identifier: str | None = None, schema_catalog: str = SCHEMA_CATALOG, root: Path | None = None
) -> Proposal:
    """``root``: the workspace, that a local path must be inside (the file connector reads nothing else)."""
    kind, source = detect(url)
    if kind == "file":
        source["path"] = _workspace_path(source["path"], root or Path.cwd())
        source["_root"] = str(root or Path.cwd())
    handler = {
        "ods": _ods,
        "udata": _udata,
        "hubeau": _hubeau,
        "ogcapi": _features,
        "wfs": _features,
        "postgres": _postgres,
        "http": _http,
        "file": _file,
    }[kind]
    meta, schema, notes = handler(kind, source, schema_catalog)
    ident = identifier or slug(str(meta.pop("_id")))
    meta.pop("_id", None)
    entry: dict[str, Any] = {
        "identifier": ident,
        "title": meta.pop("title", None) or ident,
        "description": meta.pop("description", "") or "",
        "publisher": {"name": meta.pop("publisher", None) or PLACEHOLDER},
        "licence": meta.pop("licence", None) or PLACEHOLDER,
        **meta,
        "source": {"kind": kind, **source},
    }
    if schema and schema.get("fields"):
        entry["schema"] = schema
    else:
        notes.append("no schema could be inferred: add one before the first run, or run once and inspect the columns")
    return Proposal(ident, entry, notes)


Found = tuple[dict[str, Any], dict[str, Any] | None, list[str]]


def _strip_html(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text or "")).strip()


def _ods(kind: str, source: dict[str, Any], _: str) -> Found:
    options = OdsOptions(**source)
    with HttpClient("(new source)", options) as client:
        meta = dataset_metadata(client, options)
    default = meta["metas"]["default"]
    found: dict[str, Any] = {
        "_id": source["dataset"],
        "title": default.get("title"),
        "description": _strip_html(str(default.get("description") or "")),
        "publisher": default.get("publisher"),
        "licence": default.get("license"),
        "landing_page": f"{source['portal']}/explore/dataset/{source['dataset']}/",
        "keywords": [str(k) for k in default.get("keyword") or []],
    }
    if default.get("license_url"):
        found["licence_url"] = default["license_url"]
    return found, infer.schema_from_ods([f for f in meta["fields"] if isinstance(f, dict)]), []


def _udata(kind: str, source: dict[str, Any], schema_catalog: str) -> Found:
    options = UdataOptions(**source)
    notes: list[str] = []
    with HttpClient("(new source)", options) as client:
        doc = dataset_doc(client, options)
        tabular = [r for r in doc["resources"] if str(r.get("format", "")).lower() in ("csv", "parquet", "geojson")]
        res = pick_resource(
            doc,
            UdataOptions(**source, resource_format=str(tabular[0]["format"]).lower()) if tabular else options,
            "(new source)",
        )
        fmt = str(res.get("format", "csv")).lower()
        source.update(resource_format=fmt, format=fmt if fmt in ("csv", "parquet", "geojson") else "csv")
        schema = None
        ref = res.get("schema") if isinstance(res.get("schema"), dict) else None
        if ref and ref.get("name"):
            schema = _published_schema(client, schema_catalog, str(ref["name"]), ref.get("version"))
            notes.append(f"schema from schema.data.gouv.fr: {ref['name']} {ref.get('version') or '(latest)'}")
        elif fmt == "csv":
            sample, _ = client.sample(str(res["url"]))
            schema, read = infer.schema_from_csv(sample)
            source["read"] = read
            notes.append("schema inferred from the first 64 KB of the file")
    organization = doc.get("organization") if isinstance(doc.get("organization"), dict) else {}
    frequency = str(doc.get("frequency") or "")
    found = {
        "_id": doc.get("slug") or source["dataset"],
        "title": doc.get("title"),
        "description": _strip_html(str(doc.get("description") or ""))[:2000],
        "publisher": (organization or {}).get("name"),
        "licence": doc.get("license"),
        "frequency": frequency if frequency in UDATA_FREQUENCIES else "irregular",
        "keywords": [str(t) for t in doc.get("tags") or []],
    }
    return found, schema, notes


def _published_schema(client: HttpClient, catalog_url: str, name: str, version: Any) -> dict[str, Any]:
    catalog, _ = client.get_json(catalog_url)
    schemas = expect(catalog, "schemas", list, f"schema catalog {catalog_url}", "schema.data.gouv.fr catalog")
    entry = next((s for s in schemas if isinstance(s, dict) and s.get("name") == name), None)
    if entry is None:
        raise SourceError(f"schema {name!r} is not in the catalog {catalog_url}", hint="check the resource's schema")
    versions = [v for v in entry.get("versions") or [] if isinstance(v, dict)]
    chosen = next((v for v in versions if v.get("version_name") == version), None)
    url = (chosen or {}).get("schema_url") or entry.get("schema_url")
    if not url:
        raise SourceError(f"schema {name!r} {version} has no schema_url in {catalog_url}")
    doc, _ = client.get_json(str(url))
    return infer.schema_from_table_schema(doc if isinstance(doc, dict) else {})


def _hubeau(kind: str, source: dict[str, Any], _: str) -> Found:
    options = HubeauOptions(**source)
    with HttpClient("(new source)", options) as client:
        count, data, _more = read_page(client, options, 1, 20)
    notes = [f"{count} results match"]
    if count > 20_000:
        notes.append("more than Hub'Eau's 20 000-result depth: narrow `query` before the first run")
    endpoint = source["endpoint"].rstrip("/").rsplit("/", 2)
    title = f"Hub'Eau — {endpoint[-2]} / {endpoint[-1]}".replace("_", " ")
    found = {"_id": "-".join(endpoint[-2:]), "title": title, "publisher": "OFB / BRGM (Hub'Eau)"}
    found["licence"] = "Licence Ouverte / Etalab 2.0"
    return found, infer.schema_from_records([d for d in data if isinstance(d, dict)]), notes


def _features(kind: str, source: dict[str, Any], _catalog: str) -> Found:
    found: dict[str, Any]
    with HttpClient("(new source)", HttpOptions(retries=1)) as client:
        if kind == "ogcapi":
            options = OgcApiOptions(**source)
            base = f"{options.url.rstrip('/')}/collections/{options.collection}"
            meta, _ = client.get_json(base, params={"f": "json"})
            meta = meta if isinstance(meta, dict) else {}
            found = {"_id": options.collection, "title": meta.get("title"), "description": meta.get("description")}
            doc, _ = client.get_json(options.items(), params=options.first_params(limit=20))
        else:
            wfs = WfsOptions(**source)
            found = {"_id": wfs.typename.split(":")[-1], "title": wfs.typename}
            doc, _ = client.get_json(wfs.url, params=wfs.query(0, count=20))
    features = expect(doc, "features", list, "sample", "OGC standard")
    schema = infer.schema_from_records([f.get("properties") or {} for f in features if isinstance(f, dict)])
    schema["fields"].append({"name": "geom", "type": "geometry"})
    return found, schema, []


def _postgres(kind: str, source: dict[str, Any], _: str) -> Found:
    from territoria.connectors.http.secrets import Secrets
    from territoria.connectors.postgres.connector import PostgresOptions
    from territoria.connectors.postgres.db import Database

    options = PostgresOptions(**source)
    with Database(options, Secrets("(new source)"), "(new source)") as db:
        columns = db.relation().columns
    found = {"_id": source["table"].split(".")[-1], "title": source["table"]}
    return found, infer.schema_from_pg(columns), ["add `cursor:` (a growing column) for incremental reads"]


def _http(kind: str, source: dict[str, Any], _: str) -> Found:
    url = source["url"]
    with HttpClient("(new source)", HttpOptions(retries=1)) as client:
        sample, headers = client.sample(url, 4 * SAMPLE)
    json_type = "json" in headers.get("content-type", "")
    return _from_sample(urlsplit(url).path, sample, source, json_type)


def _file(kind: str, source: dict[str, Any], _: str) -> Found:
    root = Path(source.pop("_root"))
    path = root / source["path"]
    if not path.is_file():
        raise UserError(f"no file at {path}", hint="check the path (relative to the workspace)")
    sample = open_sample(path, SAMPLE, {})
    return _from_sample(source["path"], sample, source, False, inflated=True)


def _from_sample(path: str, sample: bytes, source: dict[str, Any], json_type: bool, inflated: bool = False) -> Found:
    """The format from the name and the first bytes; a schema for CSV."""
    name = path.rstrip("/").rsplit("/", 1)[-1] or "source"
    for suffix in (".gz", ".bz2", ".zip"):
        name = name.removesuffix(suffix)
    stem, dot, ext = name.rpartition(".")
    fmt = FORMATS.get(f".{ext.lower()}" if dot else "", "csv")
    if not inflated and fmt != "xlsx":
        sample = inflate_sample(sample, SAMPLE)
    if sample.startswith(PARQUET_MAGIC):
        fmt = "parquet"
    elif json_type or sample.lstrip().startswith(b"{"):
        fmt = "geojson"
    source["format"] = fmt
    found = {"_id": stem or name, "title": stem or name}
    infer.refuse_non_data(sample)
    if fmt != "csv":
        return found, None, []
    schema, read = infer.schema_from_csv(sample[:SAMPLE])
    source["read"] = read
    return found, schema, ["schema inferred from the first 64 KB of the file"]


def _workspace_path(text: str, root: Path) -> str:
    raw = Path(text)
    path = (raw if raw.is_absolute() else root / raw).resolve()
    if not path.is_relative_to(root.resolve()):
        raise UserError(
            f"{text} is outside the workspace {root}",
            hint=f"copy the file under {root / 'data'} and run `territoria sources add data/{raw.name}`",
        )
    return str(path.relative_to(root.resolve()))
