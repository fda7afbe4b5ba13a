"""The SensorThings entities that come from the device registry (Things, Locations, Sensors...),
as rows of small tables, and the SQL that creates them."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from territoria.engines.base import quote_ident, quote_literal
from territoria.sensors.registry import QUANTITIES, Placement, Registry

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def _geojson(lon: float, lat: float) -> str:
    return json.dumps({"type": "Point", "coordinates": [lon, lat]})


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


_SQL_TYPES = {"int64": "BIGINT", "string": "VARCHAR", "double": "DOUBLE", "bool": "BOOLEAN",
              "timestamp[us, tz=UTC]": "TIMESTAMPTZ"}  # fmt: skip


def _literal(value: Any, sql_type: str) -> str:
    if value is None:
        return "NULL"
    if sql_type == "VARCHAR":
        return quote_literal(str(value))
    if sql_type == "BOOLEAN":
        return "true" if value else "false"
    if sql_type == "TIMESTAMPTZ":
        return f"make_timestamp({int(value)}::BIGINT)::TIMESTAMPTZ"  # microseconds since the epoch, UTC session
    return repr(int(value) if sql_type == "BIGINT" else float(value))


def table_sql(name: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> str:
    """CREATE the small registry table from SQL literals: handing DuckDB a Python object (an Arrow
    table to register) makes it import pandas, a second of the API's first request."""
    types = [(f.name, _SQL_TYPES[str(f.type)]) for f in schema]
    columns = ", ".join(f"{quote_ident(c)} {t}" for c, t in types)
    if not rows:
        return f"CREATE OR REPLACE TABLE {name} ({columns})"
    values = ", ".join(
        "(" + ", ".join(f"CAST({_literal(row.get(c), t)} AS {t})" for c, t in types) + ")" for row in rows
    )
    names = ", ".join(quote_ident(c) for c, _ in types)
    return f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM (VALUES {values}) AS v({names})"


def registry_tables(registry: Registry | None) -> dict[str, list[dict[str, Any]]]:
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
