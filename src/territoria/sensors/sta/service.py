"""Build the SensorThings relations from the registry and the store, and run queries on them.

The small entity tables are rebuilt when the registry or the store's aggregates change (checked
at each request, a few ``stat`` calls); Observations read the Parquet files directly, so new
uplinks are visible as soon as they are written.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from territoria.engines.base import quote_ident, quote_literal
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.sensors.aggregates import daily_sql, hourly_relation
from territoria.sensors.ingest import open_registry, store_for
from territoria.sensors.registry import QUANTITIES, REGISTRY, Placement, Registry
from territoria.sensors.sta.model import ENTITY_SETS, OBS_ID_SHIFT, EntitySet, Prop
from territoria.sensors.sta.odata import Options, QueryError, Resolver, Term, parse_filter

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def _geojson(lon: float, lat: float) -> str:
    return json.dumps({"type": "Point", "coordinates": [lon, lat]})


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Page:
    rows: list[dict[str, Any]]
    count: int | None
    more: bool


class Service:
    def __init__(self, root: Path, private: Path, communes: list[str]) -> None:
        self.root = root
        self.private = private
        self.communes = communes
        self.store = store_for(private)
        self._engine: DuckDBEngine | None = None
        self._lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The in-memory DuckDB, opened at the first request so that mounting the API stays instant."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    engine = DuckDBEngine(None)
                    engine.con.execute("SET TimeZone = 'UTC'")
                    # Observation files come and go (every flush writes some, compaction replaces them):
                    # DuckDB's external file cache, bounded only by memory_limit, would keep each one read.
                    engine.con.execute("SET enable_external_file_cache = false")
                    self._engine = engine
        return self._engine.con

    # -- catalog -----------------------------------------------------------------------------
    def refresh(self) -> None:
        reg = self.root / REGISTRY
        stat = reg.stat() if reg.exists() else None
        # Every write folds into (and compaction re-stamps) the hourly files: their stat is the signal.
        version = (stat.st_mtime_ns if stat else None, self.store.version())
        if version == self._version:
            return
        with self._lock:
            if version == self._version:
                return
            registry = open_registry(self.root, self.private, self.communes) if stat else None
            self._build(registry)
            self._version = version

    def _build(self, registry: Registry | None) -> None:
        con = self.con
        tables = _registry_tables(registry)
        for name, rows in tables.items():
            con.register(f"_{name}", pa.Table.from_pylist(rows, schema=SCHEMAS[name]))
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")
            con.unregister(f"_{name}")
        files = [str(p) for p in self.store.obs_files()]
        if files:
            listed = ", ".join(quote_literal(f) for f in files)
            source = f"read_parquet([{listed}])"
        else:
            source = "(SELECT NULL::INTEGER AS datastream, NULL::TIMESTAMPTZ AS time, NULL::DOUBLE AS result, " \
                     "NULL::INTEGER AS foi, NULL::BIGINT AS fcnt WHERE false)"  # fmt: skip
        con.execute(
            f"""CREATE OR REPLACE VIEW sta_observations AS
            SELECT (datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(time) AS id, time AS phenomenon_time, result,
                   datastream::BIGINT AS datastream_id, foi::BIGINT AS foi_id, json_object('fCnt', fcnt) AS parameters
            FROM {source}"""
        )
        tz = registry.config.timezone if registry else "UTC"
        hourly = hourly_relation(con, self.store, "_sta_hourly_src")
        con.execute(
            f"""CREATE OR REPLACE TABLE sta_hourly AS
            SELECT (datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(hour) AS id, datastream AS datastream_id,
                   hour AS start_time, n, sum / n AS mean, min, max,
                   strftime(hour, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(hour + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%SZ')
                       AS phenomenon_time
            FROM {hourly} ORDER BY datastream, hour"""
        )
        con.execute(
            f"""CREATE OR REPLACE TABLE sta_daily AS
            WITH d AS ({daily_sql(hourly, tz)})
            SELECT (datastream::BIGINT << {OBS_ID_SHIFT}) | epoch_ms(timezone({quote_literal(tz)}, day::TIMESTAMP))
                       AS id, datastream AS datastream_id, timezone({quote_literal(tz)}, day::TIMESTAMP) AS start_time,
                   n, mean, min, max,
                   strftime(timezone({quote_literal(tz)}, day::TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ') || '/' ||
                   strftime(timezone({quote_literal(tz)}, (day + 1)::TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ')
                       AS phenomenon_time
            FROM d ORDER BY datastream, day"""
        )
        con.execute(
            """CREATE OR REPLACE TABLE sta_datastreams AS
            SELECT d.* EXCLUDE (start_time, phenomenon_time),
                   coalesce(h.first, NULL) AS start_time,
                   strftime(h.first, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(h.last, '%Y-%m-%dT%H:%M:%SZ')
                       AS phenomenon_time
            FROM sta_datastreams_base d
            LEFT JOIN (SELECT datastream_id, min(start_time) AS first, max(start_time) + INTERVAL 1 HOUR AS last
                       FROM sta_hourly GROUP BY ALL) h ON h.datastream_id = d.id"""
        )

    # -- queries -----------------------------------------------------------------------------
    def resolver(self, es: EntitySet, alias: str = "t", depth: int = 0) -> Resolver:
        def resolve(path: list[str]) -> Term:
            head = path[0]
            if head in ("id", "@iot.id"):
                return Term(f"{alias}.id", "number")
            if head in es.props:
                prop = es.props[head]
                if prop.filter is not None:
                    sql = prop.filter.format(a=alias)
                else:
                    sql = "NULL" if prop.select == "NULL" else f"{alias}.{prop.select}"
                if prop.kind == "json" and len(path) > 1:
                    pointer = "$." + ".".join(path[1:])
                    return Term(f"json_extract_string({alias}.{prop.select}, {quote_literal(pointer)})", "json")
                kind = {"geojson": "geometry", "interval": "time"}.get(prop.kind, prop.kind)
                return Term(sql, kind)
            nav = es.navs.get(head)
            if nav is not None and not nav.many and len(path) > 1 and depth < 4:
                target = ENTITY_SETS[nav.target]
                sub = f"n{depth}"
                inner = self.resolver(target, sub, depth + 1).resolve(path[1:])
                return Term(
                    f"(SELECT {inner.sql} FROM {target.table} {sub} WHERE {sub}.{nav.remote} = {alias}.{nav.local})",
                    inner.kind,
                )
            raise QueryError(
                f"{es.name} has no property {'/'.join(path)!r}",
                hint=f"properties: {', '.join(es.props)}; to-one navigation: "
                + ", ".join(n for n, v in es.navs.items() if not v.many),
            )

        return Resolver(resolve)

    def page(self, es: EntitySet, where: list[str], opts: Options, default_top: int = 100) -> Page:
        columns = self._columns(es, opts.select)
        rows, count, more = self._run(es, where, opts, default_top, ", ".join(c for _, c, _ in columns))
        return Page([_row(columns, r) for r in rows], count, more)

    def page_json(self, es: EntitySet, where: list[str], opts: Options, link_base: str) -> tuple[str, int | None, bool]:
        """The rows of a link-less entity set (the aggregates) as a JSON array built by DuckDB.

        Tens of thousands of daily statistics serialise in milliseconds this way, where building
        Python dicts row by row would dominate the response time.
        """
        fields = []
        for name, sql, _kind in self._columns(es, opts.select)[1:]:
            fields.append(f"{quote_ident(name)} := {sql}")
        if "Datastream@iot.id" in es.props and (opts.select is None or "Datastream" in opts.select):
            link = f"{quote_literal(link_base + '/Datastreams(')} || t.datastream_id || ')'"
            fields.append(f"{quote_ident('Datastream@iot.navigationLink')} := {link}")
        rows, count, more = self._run(es, where, opts, 100, f"to_json(struct_pack({', '.join(fields)}))")
        return "[" + ",".join(r[0] for r in rows) + "]", count, more

    def _run(
        self, es: EntitySet, where: list[str], opts: Options, default_top: int, select: str
    ) -> tuple[list[tuple[Any, ...]], int | None, bool]:
        self.refresh()
        top = min(opts.top if opts.top is not None else default_top, es.max_top)
        conditions = list(where)
        resolver = self.resolver(es)
        if opts.filter:
            conditions.append(parse_filter(opts.filter, resolver))
        clause = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        order = [f"{resolver.resolve(name.split('/')).sql} {'DESC' if desc else 'ASC'}" for name, desc in opts.orderby]
        order.append("t.id ASC")
        sql = (
            f"SELECT {select} FROM {es.table} t{clause} ORDER BY {', '.join(order)} LIMIT {top + 1} OFFSET {opts.skip}"
        )
        cursor = self.con.cursor()
        try:
            try:
                rows = cursor.execute(sql).fetchall()
                count = cursor.execute(f"SELECT count(*) FROM {es.table} t{clause}").fetchone() if opts.count else None
            except duckdb.Error as exc:
                raise QueryError(f"the query cannot be evaluated: {str(exc).splitlines()[0]}") from exc
        finally:
            cursor.close()
        return rows[:top], int(count[0]) if count else None, len(rows) > top

    def lookup(self, es: EntitySet, where: list[str], column: str) -> Any:
        """One column of the single entity matching ``where`` (None when there is none)."""
        self.refresh()
        cursor = self.con.cursor()
        try:
            found = cursor.execute(
                f"SELECT t.{column} FROM {es.table} t WHERE {' AND '.join(where)} LIMIT 1"
            ).fetchone()
        finally:
            cursor.close()
        return found[0] if found else None

    def _columns(self, es: EntitySet, select: list[str] | None) -> list[tuple[str, str, str]]:
        wanted = select or ["@iot.id", *es.props]
        columns: list[tuple[str, str, str]] = [("@iot.id", "t.id", "id")]
        for name in wanted:
            if name in ("id", "@iot.id"):
                continue
            prop = es.props.get(name)
            if prop is None:
                if name in es.navs:
                    continue
                raise QueryError(f"$select: {es.name} has no property {name!r}", hint=", ".join(es.props))
            sql = "NULL" if prop.select == "NULL" else f"t.{prop.select}"
            if prop.kind == "time":
                # formatted by DuckDB (UTC session): faster than Python datetimes, and no pytz needed
                sql = f"strftime({sql}, '%Y-%m-%dT%H:%M:%S.%gZ')"
            columns.append((name, sql, prop.kind))
        return columns


def _row(columns: list[tuple[str, str, str]], values: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (name, _sql, kind), value in zip(columns, values, strict=True):
        if value is None:
            out[name] = None
        elif kind in ("json", "geojson"):
            out[name] = json.loads(value)
        else:
            out[name] = value
    return out


SCHEMAS = {
    "sta_things": pa.schema([("id", pa.int64()), ("name", pa.string()), ("description", pa.string()),
                             ("properties", pa.string())]),
    "sta_locations": pa.schema([("id", pa.int64()), ("name", pa.string()), ("description", pa.string()),
                                ("encoding_type", pa.string()), ("location", pa.string()), ("lon", pa.float64()),
                                ("lat", pa.float64()), ("properties", pa.string()), ("thing_id", pa.int64()),
                                ("current", pa.bool_())]),
    "sta_features": pa.schema([("id", pa.int64()), ("name", pa.string()), ("description", pa.string()),
                               ("encoding_type", pa.string()), ("feature", pa.string()), ("lon", pa.float64()),
                               ("lat", pa.float64()), ("properties", pa.string())]),
    "sta_historical_locations": pa.schema([("id", pa.int64()), ("time", pa.timestamp("us", tz="UTC")),
                                           ("thing_id", pa.int64()), ("location_id", pa.int64())]),
    "sta_datastreams_base": pa.schema([("id", pa.int64()), ("name", pa.string()), ("description", pa.string()),
                                       ("unit_of_measurement", pa.string()), ("observation_type", pa.string()),
                                       ("observed_area", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
                                       ("properties", pa.string()), ("thing_id", pa.int64()),
                                       ("sensor_id", pa.int64()), ("observed_property_id", pa.int64()),
                                       ("start_time", pa.timestamp("us", tz="UTC")),
                                       ("phenomenon_time", pa.string())]),
    "sta_sensors": pa.schema([("id", pa.int64()), ("name", pa.string()), ("description", pa.string()),
                              ("encoding_type", pa.string()), ("metadata", pa.string()), ("properties", pa.string())]),
    "sta_observed_properties": pa.schema([("id", pa.int64()), ("name", pa.string()), ("definition", pa.string()),
                                          ("description", pa.string()), ("properties", pa.string())]),
}  # fmt: skip


def _placement_rows(registry: Registry, p: Placement, thing_id: int, current: bool) -> dict[str, list[dict[str, Any]]]:
    e = p.entry
    point = _geojson(e.location.lon, e.location.lat)
    where = f" (commune {p.commune})" if p.commune else ""
    loc = {
        "id": p.location_id,
        "name": f"{e.thing} @ {e.location.lon:.5f},{e.location.lat:.5f}",
        "description": f"Position of {e.thing}{where}",
        "encoding_type": "application/geo+json",
        "lon": e.location.lon,
        "lat": e.location.lat,
        "properties": json.dumps({"commune": p.commune}),
    }
    profile = registry.config.profiles[e.profile]
    sensor_id = registry.ids[f"sensor:{e.profile}"]
    rows: dict[str, list[dict[str, Any]]] = {
        "sta_locations": [{**loc, "location": point, "thing_id": thing_id, "current": current}],
        "sta_features": [{**loc, "feature": point}],
        "sta_historical_locations": [{"time": max(p.start_us, 0), "thing_id": thing_id, "location_id": p.location_id}],
        "sta_sensors": [
            {
                "id": sensor_id,
                "name": profile.sensor.name,
                "description": profile.sensor.description or profile.sensor.name,
                "encoding_type": profile.sensor.encoding_type,
                "metadata": profile.sensor.metadata,
                "properties": json.dumps({"decoder": profile.decoder}),
            }
        ],
        "sta_observed_properties": [],
        "sta_datastreams_base": [],
    }
    for quantity, (ds, measure, _scale, _offset) in p.streams.items():
        q = QUANTITIES[quantity]
        prop_id = registry.ids[f"property:{quantity}"]
        rows["sta_observed_properties"].append(
            {"id": prop_id, "name": quantity, "definition": q["definition"], "description": q["description"],
             "properties": "{}"}
        )  # fmt: skip
        properties = {
            "validRange": [measure.min, measure.max],
            "sourceUnit": measure.unit,
            "commune": p.commune,
            "role": e.properties.get("role"),
        }
        rows["sta_datastreams_base"].append(
            {
                "id": ds,
                "name": f"{e.thing} — {quantity}",
                "description": f"{q['description']} at {e.thing}",
                "unit_of_measurement": json.dumps(q["unit"]),
                "observation_type": OM_MEASUREMENT,
                "observed_area": point,
                "lon": e.location.lon,
                "lat": e.location.lat,
                "properties": json.dumps(properties),
                "thing_id": thing_id,
                "sensor_id": sensor_id,
                "observed_property_id": prop_id,
                "start_time": None,
                "phenomenon_time": None,
            }
        )
    return rows


def _registry_tables(registry: Registry | None) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    if registry is None:
        return tables
    placements = [p for ps in registry.by_eui.values() for p in ps]
    latest: dict[str, int] = {}
    for p in placements:
        latest[p.entry.thing] = max(latest.get(p.entry.thing, -(2**63)), p.start_us)
    for p in sorted(placements, key=lambda p: (p.entry.thing, p.start_us)):
        e = p.entry
        thing_id = registry.ids[f"thing:{e.thing}"]
        current = p.start_us == latest[e.thing]
        if current:
            props = {**e.properties, "devEui": e.dev_eui, "commune": p.commune, "deviceProfile": e.profile}
            tables["sta_things"].append(
                {
                    "id": thing_id,
                    "name": e.thing,
                    "description": e.description or e.thing,
                    "properties": json.dumps(props),
                }
            )
        for name, rows in _placement_rows(registry, p, thing_id, current).items():
            tables[name].extend(rows)
    for n, row in enumerate(tables["sta_historical_locations"], start=1):
        row["id"] = n
    for name in ("sta_sensors", "sta_observed_properties", "sta_datastreams_base", "sta_features", "sta_things"):
        unique = {row["id"]: row for row in tables[name]}
        tables[name] = [unique[k] for k in sorted(unique)]
    return tables


def decode_observation_id(value: int) -> tuple[int, int]:
    return value >> OBS_ID_SHIFT, value & ((1 << OBS_ID_SHIFT) - 1)


__all__ = ["Page", "Prop", "Service", "_iso", "decode_observation_id"]
