"""The sensor aggregates give the same tables on Spark as on DuckDB.

The same hourly aggregates of a sensor store (five temperature sensors, three weeks of a July
heat wave, a few hours missing) go through each engine: the sensors connector's SQL (hourly rows
with local dates and hours, daily means from the hourly sums), then the climate-adaptation
pack's sensor models and heat-island indicators, each with the pack's own SQL as the pipeline
renders it. Every table is the same on both engines, row for row and value for value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from territoria.catalog.packs import load_pack
from territoria.connectors.sensors.connector import DATASTREAM_COLUMNS
from territoria.engines import open_engine
from territoria.engines.base import Engine, TableWrite
from territoria.pipelines.spec import DatasetInfo, render_sql
from territoria.sensors.aggregates import landed_sql
from territoria.sensors.obslayout import HOURLY_SCHEMA

pytest.importorskip("pyspark", reason="the spark engine is an optional extra (requirements-spark.lock)")

#: (thing, commune, role, how much warmer than the rural reference at night, °C)
SENSORS = [
    ("ref-rural", "35001", "reference_rurale", 0.0),
    ("centre-1", "35238", "urbain", 3.1),
    ("centre-2", "35238", "urbain", 2.4),
    ("quartier", "35051", "urbain", 1.2),
    ("hors", "56001", "urbain", 0.7),  # outside the territory: no commune name
]
COMMUNES = {"35001": "Acigné", "35238": "Rennes", "35051": "Cesson-Sévigné"}
MODELS = ["capteurs_temperature", "nuits_capteurs", "jours_capteurs"]
INDICATORS = [
    "icu_intensite_capteur",
    "icu_intensite_commune",
    "nuits_tropicales",
    "jours_canicule",
    "points_chauds",
    "exposition_75_plus",
]
SOURCES = {
    "capteurs-reseau": "_streams",
    "communes": "_communes",
    "population-75-plus": "_p75",
}


def observations(days: int = 21, seed: int = 3) -> dict[str, pa.Table]:
    """The store's hourly aggregates (sums of readings, as the store folds them) and the network."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 7, 1, tzinfo=UTC)
    rows: dict[str, list[Any]] = {c: [] for c in HOURLY_SCHEMA.names}
    for ds, (_, _, _, warmer) in enumerate(SENSORS, start=1):
        for h in range(days * 24):
            if rng.random() < 0.03:
                continue  # an hour without uplink
            hour = start + timedelta(hours=h)
            local = (hour.hour + 2) % 24
            heat = 6.0 * np.sin(np.pi * h / (days * 24))  # the heat wave, peaking mid-period
            night = local >= 22 or local < 6
            base = 21.0 + heat + 7.0 * np.sin((local - 9) * np.pi / 12) + (warmer if night else warmer / 3)
            readings = np.round(base + rng.normal(0, 0.4, int(rng.integers(3, 13))), 2)
            rows["datastream"].append(ds)
            rows["hour"].append(hour)
            rows["n"].append(len(readings))
            rows["sum"].append(float(np.sum(readings)))
            rows["min"].append(float(readings.min()))
            rows["max"].append(float(readings.max()))
    streams = [
        {"datastream": ds, "thing": thing, "quantity": "temperature", "unit": "°C", "dev_eui": f"{ds:016x}",
         "profile": "lht65", "commune": commune, "lon": -1.68 + ds / 100, "lat": 48.11, "role": role}
        for ds, (thing, commune, role, _) in enumerate(SENSORS, start=1)
    ]  # fmt: skip
    return {
        "_hourly": pa.table(rows, schema=HOURLY_SCHEMA),
        "_streams": pa.Table.from_pylist(streams, schema=pa.schema(list(DATASTREAM_COLUMNS.items()))),
        "_communes": pa.table({"code": list(COMMUNES), "nom": list(COMMUNES.values())}),
        "_p75": pa.table({"CODGEO": list(COMMUNES), "P75PLUS": [310.0, 21450.0, 1720.0]}),
    }


def climate_tables(engine: Engine, inputs: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The connector's aggregates, then the pack's sensor models and indicators, on ``engine``."""
    pack = load_pack("climate_adaptation")
    dialect = engine.capabilities.sql_dialect
    datasets = {name: DatasetInfo(name, "staging", name) for name in SOURCES}
    for name, table in inputs.items():
        engine.register_arrow(name, table)
    engine.ensure_schema("staging")
    for name, relation in SOURCES.items():
        engine.create_or_replace(TableWrite("staging", name, f"SELECT * FROM {relation}"))
    for table, name in (("hourly", "capteurs-temperature-horaire"), ("daily", "capteurs-temperature-journalier")):
        datasets[name] = DatasetInfo(name, "staging", name)
        engine.create_or_replace(TableWrite("staging", name, landed_sql(table, "_hourly", "_streams", "Europe/Paris")))
    params = {
        **pack.defaults(),
        "territory.epci": "243500139",
        "territory.mesh": "epci",
        "territory.code": "243500139",
        "territory.name": "Rennes Métropole",
        "canicule_ibmn": 19.0,
        "canicule_ibmx": 30.0,
    }
    engine.ensure_schema("model")
    for name in MODELS:
        datasets[name] = DatasetInfo(name, "model", name)
        sql = render_sql(pack.read_sql(f"models/{name}.sql", dialect), datasets, params, name)
        engine.create_or_replace(TableWrite("model", name, sql))
    for name in INDICATORS:
        sql = render_sql(pack.read_sql(f"indicators/{name}.sql", dialect), datasets, params, name)
        engine.create_or_replace(TableWrite("model", name, sql))
    written = [("staging", "capteurs-temperature-horaire"), ("staging", "capteurs-temperature-journalier")]
    written += [("model", name) for name in MODELS + INDICATORS]
    return {name: engine.fetch_arrow(f'SELECT * FROM {schema}."{name}"') for schema, name in written}


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def test_the_sensor_aggregates_are_identical_on_spark(tmp_path: Path) -> None:
    inputs = observations()
    duck = open_engine("duckdb", None)
    try:
        expected = climate_tables(duck, inputs)
    finally:
        duck.close()
    spark = open_engine("spark", tmp_path, shuffle_partitions=1)  # a few thousand rows: one task per stage
    try:
        got = climate_tables(spark, inputs)
    finally:
        spark.close()
    for name, table in expected.items():
        assert got[name].column_names == table.column_names, name
        assert _rows(got[name]) == _rows(table), name
    # the sample has heat islands, tropical nights and heat-wave days to compute
    icu = {r["code"]: r["value"] for r in expected["icu_intensite_capteur"].to_pylist()}
    assert icu["centre-1"] > icu["quartier"] > 0
    assert max(expected["nuits_tropicales"]["value"].to_pylist()) > 0
    assert max(expected["jours_canicule"]["value"].to_pylist()) > 0
