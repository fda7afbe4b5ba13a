"""The OGC API Features collections of a publication, encoded as GeoJSON text when first read.

Collections are the published datasets that have a geometry, the published datasets with a
commune ``code`` joined to the commune boundaries (indicators: their ``commune`` mesh), and the
boundaries themselves (the dataset with ``role: boundaries``, under its own id).

Nothing is encoded until a collection is read, and then only what is read: knowing which
collections exist costs one ``LIMIT 1`` query each, a collection's extent and size one aggregate
(``ST_Extent``: the boxes geometries carry). A page encodes the blocks of ``BLOCK`` features that
hold it (a sorted ``LIMIT``/``OFFSET`` query), kept for the next pages. A ``bbox`` is answered by
DuckDB spatial on the source (``intersecting``: the features' positions), and only the page is
encoded (``at``). A client that reads more than ``WHOLE_AFTER`` blocks, and a ``datetime`` filter
(which reads every feature's year), has the whole collection encoded in one query, once: a
collection never costs more than a few blocks beyond what encoding it at once cost. Feature
ids are positions in the order of the properties then of the geometry's hash, the same either way
(identical features may take each other's ids).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from territoria.engines.base import quote_ident
from territoria.publication.reader import DatasetMeta, Publication, json_value

#: the properties that date a feature (``datetime`` filter), the first one found
TEMPORAL = ("period", "annee")
#: features encoded together when a page reads one of them: a first page of the all-France
#: commune layer costs 1000 features' encoding (tens of ms), not 35,000 (seconds)
BLOCK = 1000
#: blocks read one by one before a collection is encoded whole
WHOLE_AFTER = 4


@dataclass(frozen=True)
class Encoded:
    """A collection, or a block of it, as GeoJSON text, with what filters need: every feature's
    bounding box (NaN: no geometry), geometry as WKB (None: none) and year (None: none; the list is
    None when the collection has no temporal property)."""

    features: list[str]
    bboxes: list[tuple[float, float, float, float]]
    shapes: list[bytes | None]
    years: list[int | None] | None


@dataclass(frozen=True)
class Summary:
    matched: int
    extent: list[float] | None


@dataclass
class Collection:
    id: str
    title: str
    description: str
    meta: DatasetMeta | None  # None: the boundaries, open reference data
    #: FROM clause, geometry expression and properties of the features
    source: str
    geom: str
    props: list[str]
    _summary: Summary | None = field(default=None, repr=False)
    _encoded: Encoded | None = field(default=None, repr=False)
    #: encoded blocks of ``BLOCK`` features (by position), until the whole collection is
    _blocks: dict[int, Encoded] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dated(self) -> bool:
        """Whether a ``datetime`` filter applies (a collection without dates is not filtered in time)."""
        return any(p in TEMPORAL for p in self.props)

    @property
    def is_encoded(self) -> bool:
        return self._encoded is not None

    def summary(self, pub: Publication) -> Summary:
        """Number of features and extent, from one aggregate (never the encoding)."""
        if self._summary is None:
            # ST_Extent reads the box a geometry carries: ten times cheaper than ST_XMin on the shape
            row = (
                pub.cursor()
                .execute(
                    "SELECT count(*), min(ST_XMin(e)), min(ST_YMin(e)), max(ST_XMax(e)), max(ST_YMax(e))"
                    f" FROM (SELECT ST_Extent({self.geom}) AS e FROM {self.source})"
                )
                .fetchone()
            )
            assert row is not None  # an aggregate has one row
            extent = [float(v) for v in row[1:]] if row[1] is not None else None
            self._summary = Summary(int(row[0]), extent)
        return self._summary

    def encoded(self, pub: Publication) -> Encoded:
        """The whole collection, encoded once (the first caller encodes, the others wait): the
        blocks pages have encoded, put together once all of them are."""
        found = self._encoded
        if found is not None:
            return found
        with self._lock:
            if self._encoded is None:
                blocks = -(-self.summary(pub).matched // BLOCK)
                if len(self._blocks) == blocks:
                    parts = [self._blocks[b] for b in range(blocks)]
                    self._encoded = Encoded(
                        [f for p in parts for f in p.features],
                        [b for p in parts for b in p.bboxes],
                        [s for p in parts for s in p.shapes],
                        None if not self.dated else [y for p in parts for y in p.years or []],
                    )
                else:
                    self._encoded = self._encode(pub, None)
                self._blocks.clear()
            return self._encoded

    def page(self, pub: Publication, start: int, size: int) -> list[str]:
        """Features ``start`` to ``start + size`` (0-based): a slice once the collection is encoded;
        before, of the blocks that hold them, each encoded when first read."""
        found = self._encoded
        if found is not None:
            return found.features[start : start + size]
        end = min(start + size, self.summary(pub).matched)
        if end <= start:
            return []
        blocks = range(start // BLOCK, (end - 1) // BLOCK + 1)
        missing = [b for b in blocks if b not in self._blocks]
        if missing and len(self._blocks) + len(missing) > WHOLE_AFTER:
            # a client reading widely: the whole collection in one query costs less than block after
            # block (each sorts the collection again), and is done once
            return self.encoded(pub).features[start:end]
        features: list[str] = []
        for block in blocks:
            features += self._block(pub, block).features
        if len(self._blocks) * BLOCK >= self.summary(pub).matched:
            self.encoded(pub)  # every block is read: one list from now on
        offset = start - blocks[0] * BLOCK
        return features[offset : offset + end - start]

    def _block(self, pub: Publication, block: int) -> Encoded:
        found = self._blocks.get(block)
        if found is None:
            with self._lock:
                found = self._blocks.get(block)
                if found is None:
                    found = self._encode(pub, (block * BLOCK, BLOCK))
                    self._blocks[block] = found
        return found

    def _encode(self, pub: Publication, window: tuple[int, int] | None) -> Encoded:
        """Encode the collection, or one window ``(start, size)`` of it: the sort runs on the
        properties alone, the geometries are converted for the rows kept."""
        inner, order = self._inner(), self._order()
        start = 0
        if window is not None:
            start, size = window
            inner = f"SELECT * FROM ({inner}) ORDER BY {order} LIMIT {int(size)} OFFSET {int(start)}"
        return self._run(pub, inner, order, None, start)

    def intersecting(self, pub: Publication, shapes: list[str]) -> list[int]:
        """The positions (0-based, ascending) of the features whose shape intersects one of
        ``shapes`` (SQL geometries), found by DuckDB spatial without encoding any feature."""
        test = " OR ".join(f"ST_Intersects(_g, {shape})" for shape in shapes)
        sql = f"SELECT _fid - 1 FROM ({self._numbered()}) WHERE {test} ORDER BY _fid"
        return [int(r[0]) for r in pub.cursor().execute(sql).fetchall()]

    def at(self, pub: Publication, positions: list[int]) -> list[str]:
        """The features at ``positions`` (0-based, ascending): slices once the collection is
        encoded, else these features alone (the page of a ``bbox`` read before the rest)."""
        found = self._encoded
        if found is not None:
            return [found.features[i] for i in positions]
        if not positions:
            return []
        inner = f"SELECT * FROM ({self._numbered()}) WHERE _fid IN (SELECT unnest($1::BIGINT[]))"
        return self._run(pub, inner, "_fid", [p + 1 for p in positions], 0).features

    def _inner(self) -> str:
        cols = ", ".join(f"d.{quote_ident(c)}" for c in self.props)
        return f"SELECT {self.geom} AS _g{', ' if cols else ''}{cols} FROM {self.source}"

    def _order(self) -> str:
        # The geometry's hash breaks ties: blocks are separate queries, which must each put features
        # of equal properties in the same order, or a page repeats some and misses others. Its hash,
        # not the geometry: a sort key holding every shape cost 7x the block's query (0.07 -> 0.5
        # CPU-s for 35,000 polygons), the hash 0.014 CPU-s more. Features still tied are identical.
        return ", ".join([*(quote_ident(c) for c in self.props), "hash(_g)"])

    def _numbered(self) -> str:
        """Every feature with its id (``_fid``: its position in the order of the properties, from 1)."""
        return f"SELECT row_number() OVER (ORDER BY {self._order()}) AS _fid, * FROM ({self._inner()})"

    def _run(self, pub: Publication, inner: str, order: str, fids: list[int] | None, start: int) -> Encoded:
        """Encode the rows of ``inner`` in ``order``: numbered from ``start + 1``, or by ``_fid``
        (with ``fids``, the parameter of ``inner``)."""
        props = self.props
        outer = "".join(f", s.{quote_ident(c)}" for c in props) + (", s._fid" if fids is not None else "")
        sql = (
            "SELECT ST_AsGeoJSON(_g), ST_XMin(_e), ST_YMin(_e), ST_XMax(_e), ST_YMax(_e), ST_AsWKB(_g)"
            f"{outer} FROM (SELECT *, ST_Extent(_g) AS _e FROM ({inner})) s ORDER BY {order}"
        )
        rows = pub.cursor().execute(sql, [fids] if fids is not None else None).fetchall()
        temporal = next((props.index(p) for p in TEMPORAL if p in props), None)
        features, bboxes, shapes, years = [], [], [], []
        nan = float("nan")
        for n, row in enumerate(rows, start=start + 1):
            values = list(map(json_value, row[6 : 6 + len(props)]))
            fid = row[-1] if fids is not None else n
            properties = json.dumps(dict(zip(props, values, strict=True)), ensure_ascii=False)
            geometry = row[0] or "null"
            features.append(f'{{"type":"Feature","id":{fid},"geometry":{geometry},"properties":{properties}}}')
            bboxes.append((row[1], row[2], row[3], row[4]) if row[0] else (nan, nan, nan, nan))
            shapes.append(bytes(row[5]) if row[0] else None)
            if temporal is not None:
                years.append(_year(values[temporal]))
        return Encoded(features, bboxes, shapes, years if temporal is not None else None)


def _year(value: Any) -> int | None:
    if isinstance(value, (int, float)):
        return int(value)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _relation(pub: Publication, meta: DatasetMeta) -> tuple[str, str] | None:
    """(FROM clause, geometry expression) of a dataset's features, or None if it has none."""
    if meta.geometry:
        return meta.relation + " d", f"d.{quote_ident(meta.geometry)}"
    names = [c for c, _ in meta.columns]
    if "code" in names and pub.boundaries:
        mesh = " WHERE d.mesh = 'commune'" if "mesh" in names else ""
        return f"{meta.relation} d JOIN geo.communes b USING (code){mesh}", "b.geometry"
    return None


def _has_geometry(pub: Publication, source: str, geom: str) -> bool:
    sql = f"SELECT 1 FROM (SELECT {geom} AS _g FROM {source}) WHERE _g IS NOT NULL LIMIT 1"
    return pub.cursor().execute(sql).fetchone() is not None


def collections(pub: Publication) -> dict[str, Collection]:
    """The publication's collections, by id: cheap (nothing is encoded here), built once per snapshot."""

    def build() -> dict[str, Collection]:
        found: dict[str, Collection] = {}
        for meta in pub.datasets.values():
            if meta.id not in pub.manifest["tables"]:
                continue
            rel = _relation(pub, meta)
            # nothing to draw (e.g. an indicator on the EPCI mesh only, or keyed by sensor):
            # a feature collection without features would mislead GIS clients
            if rel is None or not _has_geometry(pub, *rel):
                continue
            props = [c for c, t in meta.columns if not t.upper().startswith("GEOMETRY")]
            doc = meta.doc
            found[meta.id] = Collection(
                meta.id, doc["title"], doc.get("description") or "", meta, rel[0], rel[1], props
            )
        boundaries = pub.boundaries
        if boundaries and boundaries not in found:
            doc = pub.datasets[boundaries].doc if boundaries in pub.datasets else {}
            title = doc.get("title") or "Contours des communes du territoire"
            description = doc.get("description") or "WGS84"
            found[boundaries] = Collection(
                boundaries, title, description, None, "geo.communes d", "d.geometry", ["code", "nom"]
            )
        return found

    result: dict[str, Collection] = pub.cached("ogc:collections", build)
    return result
