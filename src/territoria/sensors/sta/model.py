"""The SensorThings entity sets, as relations of a DuckDB connection.

Things, Locations, HistoricalLocations, Datastreams, Sensors, ObservedProperties and
FeaturesOfInterest are small tables built from the device registry; Observations is a view over
the store's Parquet files; DailyAggregates and HourlyAggregates (the aggregation extension) come
from the store's incremental hourly aggregates. Ids are the registry's stable ids; an
Observation's id packs its datastream and its time: ``datastream << 42 | epoch milliseconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OBS_ID_SHIFT = 42


@dataclass(frozen=True)
class Prop:
    select: str
    kind: str = "text"  # text | number | time | json | geojson | interval | id
    #: SQL used in $filter/$orderby when it differs from ``select`` (e.g. a geometry)
    filter: str | None = None


@dataclass(frozen=True)
class Nav:
    target: str
    many: bool
    local: str
    remote: str
    extra: str | None = None


@dataclass(frozen=True)
class EntitySet:
    name: str
    table: str
    props: dict[str, Prop]
    navs: dict[str, Nav] = field(default_factory=dict)
    self_link: bool = True
    max_top: int = 10_000


def _nav_many(target: str, remote: str, extra: str | None = None) -> Nav:
    return Nav(target, True, "id", remote, extra)


def _nav_one(target: str, local: str) -> Nav:
    return Nav(target, False, local, "id")


GEOM_POINT = "ST_Point({a}.lon, {a}.lat)"
STATS = {
    "phenomenonTime": Prop("phenomenon_time", "interval", "{a}.start_time"),
    "count": Prop("n", "number"),
    "mean": Prop("mean", "number"),
    "min": Prop("min", "number"),
    "max": Prop("max", "number"),
    "Datastream@iot.id": Prop("datastream_id", "number"),
}

ENTITY_SETS: dict[str, EntitySet] = {
    s.name: s
    for s in [
        EntitySet(
            "Things",
            "sta_things",
            {"name": Prop("name"), "description": Prop("description"), "properties": Prop("properties", "json")},
            {
                "Locations": _nav_many("Locations", "thing_id", "current"),
                "HistoricalLocations": _nav_many("HistoricalLocations", "thing_id"),
                "Datastreams": _nav_many("Datastreams", "thing_id"),
            },
        ),
        EntitySet(
            "Locations",
            "sta_locations",
            {
                "name": Prop("name"),
                "description": Prop("description"),
                "encodingType": Prop("encoding_type"),
                "location": Prop("location", "geojson", GEOM_POINT),
                "properties": Prop("properties", "json"),
            },
            {
                "Things": Nav("Things", True, "thing_id", "id"),
                "HistoricalLocations": _nav_many("HistoricalLocations", "location_id"),
            },
        ),
        EntitySet(
            "HistoricalLocations",
            "sta_historical_locations",
            {"time": Prop("time", "time")},
            {"Thing": _nav_one("Things", "thing_id"), "Locations": Nav("Locations", True, "location_id", "id")},
        ),
        EntitySet(
            "Datastreams",
            "sta_datastreams",
            {
                "name": Prop("name"),
                "description": Prop("description"),
                "unitOfMeasurement": Prop("unit_of_measurement", "json"),
                "observationType": Prop("observation_type"),
                "observedArea": Prop("observed_area", "geojson", GEOM_POINT),
                "phenomenonTime": Prop("phenomenon_time", "interval", "{a}.start_time"),
                "resultTime": Prop("phenomenon_time", "interval", "{a}.start_time"),
                "properties": Prop("properties", "json"),
            },
            {
                "Thing": _nav_one("Things", "thing_id"),
                "Sensor": _nav_one("Sensors", "sensor_id"),
                "ObservedProperty": _nav_one("ObservedProperties", "observed_property_id"),
                "Observations": _nav_many("Observations", "datastream_id"),
                "DailyAggregates": _nav_many("DailyAggregates", "datastream_id"),
                "HourlyAggregates": _nav_many("HourlyAggregates", "datastream_id"),
            },
        ),
        EntitySet(
            "Sensors",
            "sta_sensors",
            {
                "name": Prop("name"),
                "description": Prop("description"),
                "encodingType": Prop("encoding_type"),
                "metadata": Prop("metadata"),
                "properties": Prop("properties", "json"),
            },
            {"Datastreams": _nav_many("Datastreams", "sensor_id")},
        ),
        EntitySet(
            "ObservedProperties",
            "sta_observed_properties",
            {
                "name": Prop("name"),
                "definition": Prop("definition"),
                "description": Prop("description"),
                "properties": Prop("properties", "json"),
            },
            {"Datastreams": _nav_many("Datastreams", "observed_property_id")},
        ),
        EntitySet(
            "Observations",
            "sta_observations",
            {
                "phenomenonTime": Prop("phenomenon_time", "time"),
                "resultTime": Prop("phenomenon_time", "time"),
                "result": Prop("result", "number"),
                "resultQuality": Prop("NULL", "json"),
                "validTime": Prop("NULL", "interval"),
                "parameters": Prop("parameters", "json"),
            },
            {
                "Datastream": _nav_one("Datastreams", "datastream_id"),
                "FeatureOfInterest": _nav_one("FeaturesOfInterest", "foi_id"),
            },
        ),
        EntitySet(
            "FeaturesOfInterest",
            "sta_features",
            {
                "name": Prop("name"),
                "description": Prop("description"),
                "encodingType": Prop("encoding_type"),
                "feature": Prop("feature", "geojson", GEOM_POINT),
                "properties": Prop("properties", "json"),
            },
            {"Observations": _nav_many("Observations", "foi_id")},
        ),
        EntitySet(
            "DailyAggregates",
            "sta_daily",
            STATS,
            {"Datastream": _nav_one("Datastreams", "datastream_id")},
            self_link=False,
            max_top=200_000,
        ),
        EntitySet(
            "HourlyAggregates",
            "sta_hourly",
            STATS,
            {"Datastream": _nav_one("Datastreams", "datastream_id")},
            self_link=False,
            max_top=200_000,
        ),
    ]
}

SINGULAR = {
    "Things": "Thing",
    "Locations": "Location",
    "HistoricalLocations": "HistoricalLocation",
    "Datastreams": "Datastream",
    "Sensors": "Sensor",
    "ObservedProperties": "ObservedProperty",
    "Observations": "Observation",
    "FeaturesOfInterest": "FeatureOfInterest",
}
